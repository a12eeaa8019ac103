/**
 * The reference page's theme (served from our origin as /api/docs/static/theme/theme.css): Swagger
 * UI's light colours where its text falls under WCAG's 4.5:1 (axe-core's color-contrast rule),
 * darkened in the same hue. Each pair's ratio is in its comment; the page background is #fafafa.
 */
export const API_DOCS_THEME_CSS = `
/* Method badges: white bold 14px text on the method's colour (was 1.6 to 3.6:1). */
.swagger-ui .opblock.opblock-post .opblock-summary-method { background: #248156; } /* 4.8:1 */
.swagger-ui .opblock.opblock-put .opblock-summary-method { background: #aa5f02; } /* 4.8:1 */
.swagger-ui .opblock.opblock-delete .opblock-summary-method { background: #c81d1d; } /* 5.8:1 */
.swagger-ui .opblock.opblock-get .opblock-summary-method { background: #016fde; } /* 4.9:1 */
.swagger-ui .opblock.opblock-patch .opblock-summary-method { background: #158068; } /* 4.9:1 */
/* A deprecated operation was drawn at 60% opacity with a white-on-#ebebeb badge (1.2:1). */
.swagger-ui .opblock.opblock-deprecated { opacity: 1; }
.swagger-ui .opblock.opblock-deprecated .opblock-summary-method { background: #727272; } /* 4.8:1 */
/* The title's version badges: white 10px text (was 3.8:1 and 2.2:1). */
.swagger-ui .info .title small { background: #6b7280; } /* 4.8:1 */
.swagger-ui .info .title small.version-stamp { background-color: #597c03; } /* 4.9:1 */
/* Links in the description (was #4990e2, 3.2:1). */
.swagger-ui .info a { color: #206ec9; } /* 4.9:1 */
.swagger-ui .info a:hover { color: #1f69c0; }
/* The Authorize button: green text on white (was 2.0:1). */
.swagger-ui .btn.authorize { border-color: #248156; color: #248156; } /* 4.8:1 */
.swagger-ui .btn.authorize svg { fill: #248156; }
/* The top bar (Swagger's logo without a text alternative, an unlabelled "explore another document"
   field, a nameless dark-mode button) has nothing for this page's readers: the title says what it is. */
.swagger-ui .topbar { display: none; }
/* A schema's "Expand all" button (was #afaeae on white, 2.2:1). */
.swagger-ui .json-schema-2020-12-expand-deep-button { color: #595959; } /* 7.0:1 */
/* An opened operation: where a parameter goes, and what a required one is (grey, red and #999 were 3.9, 4.0 and 2.8:1). */
.swagger-ui .parameter__extension, .swagger-ui .parameter__in { color: #595959; } /* 7.0:1 */
.swagger-ui .parameter__name.required span, .swagger-ui .parameter__name.required:after, .swagger-ui table.model tr.property-row .star { color: #c81d1d; } /* 5.8:1 */
.swagger-ui .model .property { color: #6b6b6b; } /* 5.3:1 */
.swagger-ui .response-control-media-type__accept-message { color: #3d6b00; } /* 6.4:1 */
`;
