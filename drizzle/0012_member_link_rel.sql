-- Members' links rendered before rel survived the sanitiser: give the stored HTML the rel new renders get
-- (src/articles/markdown.ts, MEMBER_LINK_REL). Sanitised HTML escapes every "<" outside a tag, so "<a " and
-- "<a>" are only ever the opening of a link.
UPDATE "articles" SET "body_html" = regexp_replace("body_html", '<a([ >])', '<a rel="nofollow ugc noopener"\1', 'g')
WHERE "body_html" ~ '<a[ >]' AND "body_html" NOT LIKE '%rel="nofollow ugc noopener"%';
