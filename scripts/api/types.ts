/** Generated from docs/openapi.json by `npm run openapi:write` (openapi-typescript): do not edit. */
export interface paths {
    "/api/v1/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This OpenAPI 3.1 document */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The document you are reading. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            openapi: "3.1.0";
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign up
         * @description Creates a member. An e-mail address or username already taken is a 409 that says which.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        username: string;
                        /** Format: email */
                        email: string;
                        password: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            user: {
                                id: number;
                                username: string;
                                email: string;
                                admin: boolean;
                                /** @description May publish job listings (an admin grants it). */
                                can_post_jobs: boolean;
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Conflicts with the current state (the code says which). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many requests (`rate_limited`); `Retry-After` says when to try again. */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your API tokens */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            tokens: {
                                id: number;
                                name: string;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                created_at: string;
                                last_used_at: string | null;
                                /** @description Null: valid until revoked. */
                                expires_at: string | null;
                                /** @description The token making this request. */
                                current: boolean;
                            }[];
                        };
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Create an API token
         * @description With your e-mail and password. The secret (`token`) is shown only in this answer.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** Format: email */
                        email: string;
                        password: string;
                        /** @default API token */
                        name?: string;
                        expires_in_days?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: number;
                            name: string;
                            /**
                             * Format: date-time
                             * @description An ISO 8601 date-time, UTC.
                             */
                            created_at: string;
                            last_used_at: string | null;
                            /** @description Null: valid until revoked. */
                            expires_at: string | null;
                            /** @description The secret: send it as `Authorization: Bearer <token>`. */
                            token: string;
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many requests (`rate_limited`); `Retry-After` says when to try again. */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke one of your API tokens */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Revoked. */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Change your password
         * @description Logs out your other sessions; `revoke_tokens` also revokes your other API tokens.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        current_password: string;
                        new_password: string;
                        /** @default false */
                        revoke_tokens?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            user: {
                                id: number;
                                username: string;
                                email: string;
                                admin: boolean;
                                /** @description May publish job listings (an admin grants it). */
                                can_post_jobs: boolean;
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many requests (`rate_limited`); `Retry-After` says when to try again. */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who you are */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            user: {
                                id: number;
                                username: string;
                                email: string;
                                admin: boolean;
                                /** @description May publish job listings (an admin grants it). */
                                can_post_jobs: boolean;
                            };
                        };
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/users/{id}/permissions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Grant or revoke the permission to post jobs (admins) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        can_post_jobs: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            user: {
                                id: number;
                                username: string;
                                email: string;
                                admin: boolean;
                                /** @description May publish job listings (an admin grants it). */
                                can_post_jobs: boolean;
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me/permission-requests": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Ask for the permission to post jobs
         * @description An admin answers; you are e-mailed either way. Asking again while a request waits, or when already allowed, is a 409.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        note: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            permission_request: {
                                id: number;
                                user_id: number;
                                note: string;
                                /** @enum {string} */
                                status: "pending" | "approved" | "declined";
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                created_at: string;
                                decided_at: string | null;
                                /** @description The organization one of its admins (`user_id`) asked for; null when the member asked for themselves. */
                                organization: {
                                    slug: string;
                                    name: string;
                                } | null;
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Conflicts with the current state (the code says which). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/permission-requests": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Requests waiting for an answer (admins): members' own and organizations' */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            permission_requests: {
                                id: number;
                                user_id: number;
                                note: string;
                                /** @enum {string} */
                                status: "pending" | "approved" | "declined";
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                created_at: string;
                                decided_at: string | null;
                                /** @description The organization one of its admins (`user_id`) asked for; null when the member asked for themselves. */
                                organization: {
                                    slug: string;
                                    name: string;
                                } | null;
                                username: string;
                                email: string;
                            }[];
                        };
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/permission-requests/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Approve or decline a request (admins)
         * @description Approving a request for an organization lets the organization post job listings; `user` is its admin who asked (e-mailed either way). Deciding again the same way changes nothing (`changed: false`); the other way is a 409.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @enum {string} */
                        decision: "approve" | "decline";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            permission_request: {
                                id: number;
                                user_id: number;
                                note: string;
                                /** @enum {string} */
                                status: "pending" | "approved" | "declined";
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                created_at: string;
                                decided_at: string | null;
                                /** @description The organization one of its admins (`user_id`) asked for; null when the member asked for themselves. */
                                organization: {
                                    slug: string;
                                    name: string;
                                } | null;
                            };
                            user: {
                                id: number;
                                username: string;
                                email: string;
                                admin: boolean;
                                /** @description May publish job listings (an admin grants it). */
                                can_post_jobs: boolean;
                            };
                            changed: boolean;
                            /** @description Whether the member was e-mailed the answer. */
                            mailed: boolean;
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Conflicts with the current state (the code says which). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/articles": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Recent public articles, or yours
         * @description `mine=1` lists your own, drafts included (needs a token).
         */
        get: {
            parameters: {
                query?: {
                    mine?: "0" | "1";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            articles: {
                                id: number;
                                title: string;
                                body_markdown: string;
                                /** @description The Markdown rendered and sanitised. */
                                body_html: string;
                                tags: string[];
                                job_listing: boolean;
                                published: boolean;
                                published_at: string | null;
                                /** @description Public now: published, and for a job listing also paid. */
                                live: boolean;
                                paid: boolean;
                                paid_until: string | null;
                                bumped_at: string | null;
                                auto_renew: boolean;
                                author: {
                                    id: number;
                                    username: string;
                                };
                                /** @description The organization it is posted on behalf of; null when none. */
                                organization: {
                                    slug: string;
                                    name: string;
                                } | null;
                                /** @description The article’s page, a path on this site. */
                                url: string;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                created_at: string;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                updated_at: string;
                            }[];
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Write an article or a job listing
         * @description A job listing needs the permission to post jobs, yours or that of the organization it is posted on behalf of (`organization`: one you belong to, else 404), and is public only once paid (`POST /api/v1/charges` with its product).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        title: string;
                        body_markdown: string;
                        tags?: string[];
                        job_listing?: boolean;
                        published?: boolean;
                        /** @description Post on behalf of one of your organizations (its slug); `null` posts as yourself. */
                        organization?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            article: {
                                id: number;
                                title: string;
                                body_markdown: string;
                                /** @description The Markdown rendered and sanitised. */
                                body_html: string;
                                tags: string[];
                                job_listing: boolean;
                                published: boolean;
                                published_at: string | null;
                                /** @description Public now: published, and for a job listing also paid. */
                                live: boolean;
                                paid: boolean;
                                paid_until: string | null;
                                bumped_at: string | null;
                                auto_renew: boolean;
                                author: {
                                    id: number;
                                    username: string;
                                };
                                /** @description The organization it is posted on behalf of; null when none. */
                                organization: {
                                    slug: string;
                                    name: string;
                                } | null;
                                /** @description The article’s page, a path on this site. */
                                url: string;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                created_at: string;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                updated_at: string;
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many requests (`rate_limited`); `Retry-After` says when to try again. */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description A service we depend on is unavailable; retry later. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/articles/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One article
         * @description A draft, or an unpaid job listing, is found only by its author and admins.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            article: {
                                id: number;
                                title: string;
                                body_markdown: string;
                                /** @description The Markdown rendered and sanitised. */
                                body_html: string;
                                tags: string[];
                                job_listing: boolean;
                                published: boolean;
                                published_at: string | null;
                                /** @description Public now: published, and for a job listing also paid. */
                                live: boolean;
                                paid: boolean;
                                paid_until: string | null;
                                bumped_at: string | null;
                                auto_renew: boolean;
                                author: {
                                    id: number;
                                    username: string;
                                };
                                /** @description The organization it is posted on behalf of; null when none. */
                                organization: {
                                    slug: string;
                                    name: string;
                                } | null;
                                /** @description The article’s page, a path on this site. */
                                url: string;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                created_at: string;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                updated_at: string;
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change an article (its author or an admin) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        title?: string;
                        body_markdown?: string;
                        tags?: string[];
                        job_listing?: boolean;
                        published?: boolean;
                        /** @description Post on behalf of one of your organizations (its slug); `null` posts as yourself. */
                        organization?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            article: {
                                id: number;
                                title: string;
                                body_markdown: string;
                                /** @description The Markdown rendered and sanitised. */
                                body_html: string;
                                tags: string[];
                                job_listing: boolean;
                                published: boolean;
                                published_at: string | null;
                                /** @description Public now: published, and for a job listing also paid. */
                                live: boolean;
                                paid: boolean;
                                paid_until: string | null;
                                bumped_at: string | null;
                                auto_renew: boolean;
                                author: {
                                    id: number;
                                    username: string;
                                };
                                /** @description The organization it is posted on behalf of; null when none. */
                                organization: {
                                    slug: string;
                                    name: string;
                                } | null;
                                /** @description The article’s page, a path on this site. */
                                url: string;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                created_at: string;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                updated_at: string;
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many requests (`rate_limited`); `Retry-After` says when to try again. */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description A service we depend on is unavailable; retry later. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/api/v1/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Paid job listings, most recently bumped first
         * @description 20 a page.
         */
        get: {
            parameters: {
                query?: {
                    page?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            jobs: {
                                id: number;
                                title: string;
                                tags: string[];
                                /** @description The start of the listing, as plain text. */
                                excerpt: string;
                                author: {
                                    id: number;
                                    username: string;
                                };
                                /** @description The organization it is posted on behalf of; null when none. */
                                organization: {
                                    slug: string;
                                    name: string;
                                } | null;
                                url: string;
                                paid: boolean;
                                paid_until: string | null;
                                bumped_at: string | null;
                            }[];
                            page: number;
                            total: number;
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/articles/{id}/auto-renew": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Turn a job listing’s auto-renewal on or off (its author)
         * @description Renews the paid week with the saved card before it ends.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        enabled: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            article: {
                                id: number;
                                auto_renew: boolean;
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Valid input that the thing’s state does not allow now (the code says why). */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many requests (`rate_limited`); `Retry-After` says when to try again. */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/payment_methods": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your saved cards */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            payment_methods: {
                                /** @description The PaymentMethod id (pm_…): send it as `payment_method` to pay with this card. */
                                id: string;
                                brand: string;
                                last4: string;
                                exp_month: number;
                                exp_year: number;
                            }[];
                        };
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many requests (`rate_limited`); `Retry-After` says when to try again. */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description A service we depend on is unavailable; retry later. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/payment_methods/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a saved card */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Removed. */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many requests (`rate_limited`); `Retry-After` says when to try again. */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description A service we depend on is unavailable; retry later. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/products": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What can be bought */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            products: {
                                /** @description Send it as `product` to buy it. */
                                id: string;
                                name: string;
                                /** @description In minor units (cents). */
                                amount: number;
                                currency: string;
                                description: string;
                                /** @description The fields a purchase of it must carry besides `product` and the card. */
                                requires: string[];
                            }[];
                        };
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/charges": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your charges, newest first (the last 100) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            charges: components["schemas"]["Charge"][];
                        };
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Buy a product with a card (or a prepaid balance)
         * @description With a saved card (`payment_method`) or the Payment Element’s `confirmation_token`, or `pay_with` a prepaid balance; besides these, the fields the product `requires` (`GET /api/v1/products`), checked by the product. With `organization`, an organization of yours pays (its card, its saved cards, its balance). Send an `Idempotency-Key`: a retry then never charges twice.
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Any unique string of 8–255 printable ASCII characters: a retry with the same key and body gets the first answer, and moves money once. */
                    "idempotency-key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            /** @description Besides these, the fields of the product named: one of the purchases listed, each from the catalog. */
            requestBody: {
                content: {
                    "application/json": ({
                        product: string;
                        article_id?: number;
                        payment_method?: string;
                        confirmation_token?: string;
                        save_card?: boolean;
                        /**
                         * @description Pay from a prepaid balance instead of a card (with no `payment_method` nor `confirmation_token`): 201 at once, or 402 when the balance is short.
                         * @enum {string}
                         */
                        pay_with?: "credits";
                        /** @description The slug of an organization of yours that pays. By card: with its own Stripe customer and the cards saved there (`GET /api/v1/organizations/{slug}/payment_methods`), as one of its admins (403 for its other members, 404 for anyone else). With `pay_with`: from its balance, as any of its members, for what is posted on its behalf. */
                        organization?: string;
                    } & {
                        [key: string]: unknown;
                    }) & ({
                        /** @enum {unknown} */
                        product: "job_listing";
                        /** @description The id of the article it is for. */
                        article_id: number;
                    } | {
                        /** @enum {unknown} */
                        product: "billboard";
                        headline: string;
                        /** Format: uri */
                        link_url: string;
                        /** Format: uri */
                        image_url?: string;
                        auto_renew?: boolean;
                    } | {
                        /** @enum {unknown} */
                        product: "featured_article";
                        /** @description The id of the article it is for. */
                        article_id: number;
                        auto_renew?: boolean;
                    } | {
                        /** @enum {unknown} */
                        product: "newsletter_slot";
                        week: string;
                    } | {
                        /** @enum {unknown} */
                        product: "credit_pack";
                        quantity: number;
                        organization?: string;
                    });
                };
            };
            responses: {
                /** @description Paid. */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            charge: components["schemas"]["Charge"];
                        };
                    };
                };
                /** @description Not settled yet: processing, or waiting for the buyer’s authentication. */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            charge: {
                                id: number;
                                /** @enum {string} */
                                status: "pending" | "requires_action" | "processing" | "succeeded" | "failed" | "canceled" | "refunded" | "partially_refunded" | "disputed";
                                product: string;
                                article_id: number | null;
                                /** @description In minor units (cents). */
                                amount: number;
                                currency: string;
                                /**
                                 * @deprecated
                                 * @description The PaymentIntent id, by its first name; `payment_intent` says it plainly.
                                 */
                                stripe_charge_key: string | null;
                                payment_intent: string | null;
                                card_brand: string | null;
                                card_last4: string | null;
                                failure_code: string | null;
                                failure_message: string | null;
                                paid_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                created_at: string;
                                amount_refunded: number;
                                /** @description When the card asks for authentication (3-D Secure): confirm it with Stripe.js, then `POST /api/v1/charges/{id}/confirm`. */
                                client_secret?: string | null;
                            } & {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The card was declined (`card_declined`, or the code Stripe gave); `charge` beside `error` is the failed charge. */
                402: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Conflicts with the current state (the code says which). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Valid input that the thing’s state does not allow now (the code says why). */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many requests (`rate_limited`); `Retry-After` says when to try again. */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description A service we depend on is unavailable; retry later. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/checkout_sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Buy on Stripe’s hosted checkout page
         * @description Only when the server runs with CHECKOUT_MODE=hosted (otherwise 404). Send the buyer to `url`; the charge settles when Stripe says the session completed.
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Any unique string of 8–255 printable ASCII characters: a retry with the same key and body gets the first answer, and moves money once. */
                    "idempotency-key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            /** @description Besides these, the fields of the product named: one of the purchases listed, each from the catalog. */
            requestBody: {
                content: {
                    "application/json": ({
                        product: string;
                        article_id?: number;
                    } & {
                        [key: string]: unknown;
                    }) & ({
                        /** @enum {unknown} */
                        product: "job_listing";
                        /** @description The id of the article it is for. */
                        article_id: number;
                    } | {
                        /** @enum {unknown} */
                        product: "billboard";
                        headline: string;
                        /** Format: uri */
                        link_url: string;
                        /** Format: uri */
                        image_url?: string;
                        auto_renew?: boolean;
                    } | {
                        /** @enum {unknown} */
                        product: "featured_article";
                        /** @description The id of the article it is for. */
                        article_id: number;
                        auto_renew?: boolean;
                    } | {
                        /** @enum {unknown} */
                        product: "newsletter_slot";
                        week: string;
                    } | {
                        /** @enum {unknown} */
                        product: "credit_pack";
                        quantity: number;
                        organization?: string;
                    });
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            charge: components["schemas"]["Charge"];
                            /** @description Stripe’s checkout page for this charge. */
                            url: string;
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Conflicts with the current state (the code says which). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Valid input that the thing’s state does not allow now (the code says why). */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many requests (`rate_limited`); `Retry-After` says when to try again. */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description A service we depend on is unavailable; retry later. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/charges/{id}/confirm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Finish a charge after the buyer’s authentication
         * @description Asks Stripe for the charge’s state now and answers as the purchase would have.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Paid. */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            charge: components["schemas"]["Charge"];
                        };
                    };
                };
                /** @description Not settled yet: processing, or waiting for the buyer’s authentication. */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            charge: {
                                id: number;
                                /** @enum {string} */
                                status: "pending" | "requires_action" | "processing" | "succeeded" | "failed" | "canceled" | "refunded" | "partially_refunded" | "disputed";
                                product: string;
                                article_id: number | null;
                                /** @description In minor units (cents). */
                                amount: number;
                                currency: string;
                                /**
                                 * @deprecated
                                 * @description The PaymentIntent id, by its first name; `payment_intent` says it plainly.
                                 */
                                stripe_charge_key: string | null;
                                payment_intent: string | null;
                                card_brand: string | null;
                                card_last4: string | null;
                                failure_code: string | null;
                                failure_message: string | null;
                                paid_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                created_at: string;
                                amount_refunded: number;
                                /** @description When the card asks for authentication (3-D Secure): confirm it with Stripe.js, then `POST /api/v1/charges/{id}/confirm`. */
                                client_secret?: string | null;
                            } & {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The card was declined (`card_declined`, or the code Stripe gave); `charge` beside `error` is the failed charge. */
                402: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Conflicts with the current state (the code says which). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Valid input that the thing’s state does not allow now (the code says why). */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many requests (`rate_limited`); `Retry-After` says when to try again. */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description A service we depend on is unavailable; retry later. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/charges/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One of your charges */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            charge: components["schemas"]["Charge"];
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/organizations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your organizations, with your role in each */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            organizations: {
                                id: number;
                                slug: string;
                                name: string;
                                legal_name: string | null;
                                address: {
                                    line1?: string;
                                    line2?: string;
                                    city?: string;
                                    postal_code?: string;
                                    state?: string;
                                    country: string;
                                } | null;
                                tax_id: {
                                    type: string;
                                    value: string;
                                } | null;
                                can_post_jobs: boolean;
                                /** Format: date-time */
                                created_at: string;
                                /** @enum {string} */
                                role?: "admin" | "member";
                            }[];
                        };
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Create an organization; you are its first admin
         * @description Slug: lowercase letters, digits and `-`, 2 to 40 (422 otherwise; 409 when taken).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        slug: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            organization: {
                                id: number;
                                slug: string;
                                name: string;
                                legal_name: string | null;
                                address: {
                                    line1?: string;
                                    line2?: string;
                                    city?: string;
                                    postal_code?: string;
                                    state?: string;
                                    country: string;
                                } | null;
                                tax_id: {
                                    type: string;
                                    value: string;
                                } | null;
                                can_post_jobs: boolean;
                                /** Format: date-time */
                                created_at: string;
                                /** @enum {string} */
                                role?: "admin" | "member";
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Conflicts with the current state (the code says which). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Valid input that the thing’s state does not allow now (the code says why). */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/organizations/{slug}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One of your organizations (404 to anyone not a member) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    slug: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            organization: {
                                id: number;
                                slug: string;
                                name: string;
                                legal_name: string | null;
                                address: {
                                    line1?: string;
                                    line2?: string;
                                    city?: string;
                                    postal_code?: string;
                                    state?: string;
                                    country: string;
                                } | null;
                                tax_id: {
                                    type: string;
                                    value: string;
                                } | null;
                                can_post_jobs: boolean;
                                /** Format: date-time */
                                created_at: string;
                                /** @enum {string} */
                                role?: "admin" | "member";
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change its name and billing details (admins); kept on its Stripe customer */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    slug: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string;
                        legal_name?: string | null;
                        address?: {
                            line1?: string;
                            line2?: string;
                            city?: string;
                            postal_code?: string;
                            state?: string;
                            country: string;
                        } | null;
                        tax_id?: {
                            type: string;
                            value: string;
                        } | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            organization: {
                                id: number;
                                slug: string;
                                name: string;
                                legal_name: string | null;
                                address: {
                                    line1?: string;
                                    line2?: string;
                                    city?: string;
                                    postal_code?: string;
                                    state?: string;
                                    country: string;
                                } | null;
                                tax_id: {
                                    type: string;
                                    value: string;
                                } | null;
                                can_post_jobs: boolean;
                                /** Format: date-time */
                                created_at: string;
                                /** @enum {string} */
                                role?: "admin" | "member";
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description A service we depend on is unavailable; retry later. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/api/v1/organizations/{slug}/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Its members and their roles */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    slug: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            members: {
                                username: string;
                                /** @enum {string} */
                                role: "admin" | "member";
                                /** Format: date-time */
                                joined_at: string;
                            }[];
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /** Add a member, admin or member (admins); the new member is e-mailed */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    slug: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        username: string;
                        /** @enum {string} */
                        role: "admin" | "member";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            member: {
                                username: string;
                                /** @enum {string} */
                                role: "admin" | "member";
                                /** Format: date-time */
                                joined_at: string;
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Conflicts with the current state (the code says which). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/organizations/{slug}/members/{username}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a member (admins), or leave; the last admin stays (409) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    slug: string;
                    username: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Removed. */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Conflicts with the current state (the code says which). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/organizations/{slug}/payment_methods": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The cards saved on its Stripe customer (admins) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    slug: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            payment_methods: {
                                id: string;
                                brand: string;
                                last4: string;
                                exp_month: number;
                                exp_year: number;
                            }[];
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description A service we depend on is unavailable; retry later. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/organizations/{slug}/permission-requests": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Ask a site admin to let it post job listings (its admins)
         * @description A site admin answers; you are e-mailed either way. Asking while its request waits, or when it can already post job listings, is a 409.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    slug: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        note: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            permission_request: {
                                id: number;
                                user_id: number;
                                note: string;
                                /** @enum {string} */
                                status: "pending" | "approved" | "declined";
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                created_at: string;
                                decided_at: string | null;
                                /** @description The organization one of its admins (`user_id`) asked for; null when the member asked for themselves. */
                                organization: {
                                    slug: string;
                                    name: string;
                                } | null;
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Conflicts with the current state (the code says which). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/organizations/{slug}/permissions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Let an organization post job listings, or stop it (site admins) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    slug: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        can_post_jobs: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            organization: {
                                id: number;
                                slug: string;
                                name: string;
                                legal_name: string | null;
                                address: {
                                    line1?: string;
                                    line2?: string;
                                    city?: string;
                                    postal_code?: string;
                                    state?: string;
                                    country: string;
                                } | null;
                                tax_id: {
                                    type: string;
                                    value: string;
                                } | null;
                                can_post_jobs: boolean;
                                /** Format: date-time */
                                created_at: string;
                                /** @enum {string} */
                                role?: "admin" | "member";
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credits/prices": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Credit prices: graduated tiers, and what a week of each product costs in credits */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            currency: string;
                            tiers: {
                                up_to: number | null;
                                unit_amount: number;
                            }[];
                            products: {
                                product: string;
                                credits: number;
                            }[];
                        };
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credits/quote": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What a quantity of credits costs, line by tier (422 outside 1 to 1000) */
        get: {
            parameters: {
                query: {
                    quantity: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            quantity: number;
                            amount: number;
                            currency: string;
                            lines: {
                                quantity: number;
                                unit_amount: number;
                                amount: number;
                            }[];
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Valid input that the thing’s state does not allow now (the code says why). */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your credits, or an organization’s: the balance and every entry of its ledger, oldest first
         * @description With `organization` (a slug), that organization’s credits, for its members (404 for anyone else). The balance is always the sum of the entries.
         */
        get: {
            parameters: {
                query?: {
                    organization?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            balance: number;
                            entries: {
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                at: string;
                                /** @description Credits added (positive) or taken (negative). */
                                change: number;
                                /** @enum {string} */
                                reason: "purchase" | "spend" | "refund" | "dispute" | "grant" | "revoke" | "expire";
                                /** @description The purchase (purchase, refund, dispute) or the charge the credits paid (spend). */
                                charge_id?: number;
                                note?: string;
                                /** @description The username of who made the change. */
                                by: string | null;
                            }[];
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/credits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Grant or revoke credits (site admins), with a note that says why
         * @description To a member (`user_id`) or an organization (its slug). A positive `change` grants, a negative one revokes (409 `insufficient_credits` beyond the balance). Audited.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        user_id?: number;
                        organization?: string;
                        change: number;
                        note: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            balance: number;
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Conflicts with the current state (the code says which). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Valid input that the thing’s state does not allow now (the code says why). */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/webhooks/failed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Stripe events whose processing failed */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            events: {
                                id: string;
                                type: string;
                                attempts: number;
                                last_error: string | null;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                received_at: string;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                next_attempt_at: string;
                            }[];
                        };
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/webhooks/{id}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Process a failed event again */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            requeued: number;
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/disputes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Open disputes, soonest evidence deadline first */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            disputes: {
                                id: number;
                                chargeId: number;
                                stripeDisputeId: string;
                                amount: number;
                                currency: string;
                                reason: string;
                                status: string;
                                evidenceDueBy: string | null;
                                closedAt: string | null;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                createdAt: string;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                updatedAt: string;
                            }[];
                        };
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/payment-mismatches": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** PaymentIntents that name our charges but do not match them (never fulfilled) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            mismatches: {
                                id: number;
                                payment_intent: string;
                                charge_id: number | null;
                                /** @description `not_our_intent`, `amount` or `currency`. */
                                reason: string;
                                amount: number;
                                currency: string;
                                expected_amount: number | null;
                                expected_currency: string | null;
                                intent_status: string;
                                metadata: {
                                    [key: string]: string;
                                };
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                detected_at: string;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                last_seen_at: string;
                            }[];
                        };
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/reconcile": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Compare our charges with Stripe and repair what can be repaired
         * @description Over the last 30 days, or from `since`.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        since?: unknown;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            report: {
                                run_id: number;
                                /** Format: date-time */
                                since: string;
                                scanned: {
                                    checkout_sessions: number;
                                    payment_intents: number;
                                    refunds: number;
                                    disputes: number;
                                    pending_rows: number;
                                    our_paid_rows: number;
                                    /** @description Rows the products’ ledger checks read. */
                                    ledger_rows: number;
                                };
                                findings: {
                                    /** @enum {string} */
                                    kind: "missing_row" | "status_mismatch" | "refund_mismatch" | "missing_refund" | "dispute_mismatch" | "fee_missing" | "stale_pending" | "waiting_refund" | "session_mismatch" | "unknown_payment_intent" | "payment_mismatch" | "unknown_at_stripe" | "amount_mismatch" | "currency_mismatch" | "state_mismatch" | "ledger_mismatch";
                                    /** @enum {string} */
                                    direction: "stripe_to_ours" | "ours_to_stripe" | "ledgers";
                                    stripe_id?: string;
                                    charge_id?: number;
                                    detail: string;
                                    /** @enum {string} */
                                    action: "repaired" | "reported";
                                }[];
                                repaired: number;
                                /** @description Findings left for a person: money that does not agree and could not be repaired. */
                                reported: number;
                                /** @description Most of our paid rows in the window are unknown to Stripe: the keys almost certainly belong to another account (or mode). */
                                wrong_account_suspected: boolean;
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description A service we depend on is unavailable; retry later. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/reconcile/latest": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The latest reconciliation run */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            run: {
                                id: number;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                startedAt: string;
                                finishedAt: string | null;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                since: string;
                                /** @description What started it: `api`, `console`, `cli`… */
                                trigger: string;
                                /** @description The run’s report (as `POST /api/v1/admin/reconcile` answers it), once finished. */
                                report: {
                                    [key: string]: unknown;
                                } | null;
                            } | null;
                        };
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/reconcile/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The last 20 reconciliation runs */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            runs: {
                                id: number;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                startedAt: string;
                                finishedAt: string | null;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                since: string;
                                /** @description What started it: `api`, `console`, `cli`… */
                                trigger: string;
                                /** @description The run’s report (as `POST /api/v1/admin/reconcile` answers it), once finished. */
                                report: {
                                    [key: string]: unknown;
                                } | null;
                            }[];
                        };
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/charges": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The ledger: charges, filtered and sorted, with totals per currency
         * @description 50 charges a page; `totals` cover every page of the filter.
         */
        get: {
            parameters: {
                query?: {
                    from?: string;
                    to?: string;
                    status?: "pending" | "requires_action" | "processing" | "succeeded" | "failed" | "canceled" | "refunded" | "partially_refunded" | "disputed";
                    product?: string;
                    user_id?: number;
                    article_id?: number;
                    sort?: "created_at" | "amount" | "status" | "id";
                    dir?: "asc" | "desc";
                    page?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            charges: {
                                id: number;
                                /** Format: date-time */
                                created_at: string;
                                paid_at: string | null;
                                /** @enum {string} */
                                status: "pending" | "requires_action" | "processing" | "succeeded" | "failed" | "canceled" | "refunded" | "partially_refunded" | "disputed";
                                product: string;
                                /** @description In minor units (cents). */
                                amount: number;
                                /** @description In minor units (cents). */
                                amount_refunded: number;
                                stripe_fee: number | null;
                                currency: string;
                                user_id: number;
                                buyer: string;
                                buyer_email: string;
                                article_id: number | null;
                                article_title: string | null;
                                payment_intent_id: string | null;
                                stripe_latest_charge: string | null;
                                /**
                                 * @description `credits`: paid with prepaid credits, no money moved (its amount is what the week is worth).
                                 * @enum {string}
                                 */
                                paid_with: "card" | "credits";
                            }[];
                            page: number;
                            total: number;
                            totals: {
                                currency: string;
                                count: number;
                                /** @description In minor units (cents). */
                                gross: number;
                                /** @description In minor units (cents). */
                                refunded: number;
                                /** @description In minor units (cents). */
                                disputed: number;
                                /** @description In minor units (cents). */
                                fees: number;
                                /** @description gross − refunded − disputed − fees, in minor units. */
                                net: number;
                            }[];
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/charges/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One charge with its buyer, refunds, disputes and audit trail */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            charge: components["schemas"]["Charge"];
                            buyer: {
                                id: number;
                                username: string;
                                email: string;
                            };
                            refunds: {
                                id: number;
                                charge_id: number;
                                stripe_refund_id: string | null;
                                /** @description In minor units (cents). */
                                amount: number;
                                currency: string;
                                reason: string | null;
                                /** @description Stripe’s: `pending`, `succeeded`, `failed`… */
                                status: string;
                                requested_by: number | null;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                created_at: string;
                            }[];
                            disputes: {
                                id: number;
                                chargeId: number;
                                stripeDisputeId: string;
                                amount: number;
                                currency: string;
                                reason: string;
                                status: string;
                                evidenceDueBy: string | null;
                                closedAt: string | null;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                createdAt: string;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                updatedAt: string;
                            }[];
                            audit: {
                                id: number;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                at: string;
                                /** @description `user:<id>`, `stripe`, `reconcile` or `system`. */
                                actor: string;
                                action: string;
                                subjectType: string;
                                subjectId: string;
                                before: unknown;
                                after: unknown;
                            }[];
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/finance/summary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Totals per day, week, month or product */
        get: {
            parameters: {
                query?: {
                    from?: string;
                    to?: string;
                    group?: "day" | "week" | "month" | "product";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            summary: {
                                currency: string;
                                count: number;
                                /** @description In minor units (cents). */
                                gross: number;
                                /** @description In minor units (cents). */
                                refunded: number;
                                /** @description In minor units (cents). */
                                disputed: number;
                                /** @description In minor units (cents). */
                                fees: number;
                                /** @description gross − refunded − disputed − fees, in minor units. */
                                net: number;
                                /** @description The day, week or month (grouped by time). */
                                period?: string;
                                /** @description Grouped by product. */
                                product?: string;
                            }[];
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/finance/credits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Credits: sold, spent (recognised revenue, first in first out) and the liability, per period and per organization
         * @description Members’ own credits are one group, `members`. Amounts in minor units of `currency`.
         */
        get: {
            parameters: {
                query?: {
                    from?: string;
                    to?: string;
                    group?: "day" | "week" | "month";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            credits: {
                                currency: string;
                                /** @enum {string} */
                                group: "day" | "week" | "month";
                                periods: {
                                    period: string;
                                    /** @description Money paid for credits (the purchases’ charges). */
                                    sold: number;
                                    /** @description Money refunded on credit purchases. */
                                    refunded: number;
                                    /** @description sold − refunded. */
                                    net_sold: number;
                                    /** @description Recognised revenue: the money value of the credits spent, first in, first out, at the price they were bought for (granted credits are worth 0). */
                                    spent: number;
                                    /** @description The money value of credits revoked or expired (recognised: paid for, never to be used). */
                                    forfeited: number;
                                    /** @description The money value of the credits refunds and disputes removed, minus the money refunded (less than a credit’s price per refund when its credits are unspent). */
                                    refund_difference: number;
                                    /** @description At the end of the period: the money value of purchased credits not yet spent. */
                                    liability: number;
                                }[];
                                accounts: {
                                    /** @description An organization’s slug, or `members` for members’ own credits together. */
                                    account: string;
                                    name: string;
                                    /** @description Money paid for credits (the purchases’ charges). */
                                    sold: number;
                                    /** @description Money refunded on credit purchases. */
                                    refunded: number;
                                    /** @description sold − refunded. */
                                    net_sold: number;
                                    /** @description Recognised revenue: the money value of the credits spent, first in, first out, at the price they were bought for (granted credits are worth 0). */
                                    spent: number;
                                    /** @description The money value of credits revoked or expired (recognised: paid for, never to be used). */
                                    forfeited: number;
                                    /** @description The money value of the credits refunds and disputes removed, minus the money refunded (less than a credit’s price per refund when its credits are unspent). */
                                    refund_difference: number;
                                    /** @description At the end of the range. */
                                    liability: number;
                                    /** @description Credits held at the end of the range. */
                                    credits: number;
                                }[];
                                totals: {
                                    /** @description Money paid for credits (the purchases’ charges). */
                                    sold: number;
                                    /** @description Money refunded on credit purchases. */
                                    refunded: number;
                                    /** @description sold − refunded. */
                                    net_sold: number;
                                    /** @description Recognised revenue: the money value of the credits spent, first in, first out, at the price they were bought for (granted credits are worth 0). */
                                    spent: number;
                                    /** @description The money value of credits revoked or expired (recognised: paid for, never to be used). */
                                    forfeited: number;
                                    /** @description The money value of the credits refunds and disputes removed, minus the money refunded (less than a credit’s price per refund when its credits are unspent). */
                                    refund_difference: number;
                                    /** @description At the end of the range. */
                                    liability: number;
                                    /** @description Credits held at the end of the range. */
                                    credits: number;
                                };
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The audit log, newest first
         * @description 100 entries a page.
         */
        get: {
            parameters: {
                query?: {
                    page?: number;
                    action?: string;
                    subject_type?: string;
                    subject_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            entries: {
                                id: number;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                at: string;
                                /** @description `user:<id>`, `stripe`, `reconcile` or `system`. */
                                actor: string;
                                action: string;
                                subjectType: string;
                                subjectId: string;
                                before: unknown;
                                after: unknown;
                            }[];
                            page: number;
                            total: number;
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/finance/charges.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The ledger as CSV */
        get: {
            parameters: {
                query?: {
                    from?: string;
                    to?: string;
                    status?: "pending" | "requires_action" | "processing" | "succeeded" | "failed" | "canceled" | "refunded" | "partially_refunded" | "disputed";
                    product?: string;
                    user_id?: number;
                    article_id?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description One charge a line, with a header line. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/csv": string;
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/finance/charges.jsonl": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The ledger as JSON lines */
        get: {
            parameters: {
                query?: {
                    from?: string;
                    to?: string;
                    status?: "pending" | "requires_action" | "processing" | "succeeded" | "failed" | "canceled" | "refunded" | "partially_refunded" | "disputed";
                    product?: string;
                    user_id?: number;
                    article_id?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description One charge (a ledger row) a line. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/x-ndjson": string;
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/finance/refunds.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Refunds as CSV */
        get: {
            parameters: {
                query?: {
                    from?: string;
                    to?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description One refund a line, with a header line. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/csv": string;
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/finance/credit-ledger.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The credits ledger as CSV
         * @description Every entry made in the range, account by account and oldest first, with the balance after it.
         */
        get: {
            parameters: {
                query?: {
                    from?: string;
                    to?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description One ledger entry a line, with a header line. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/csv": string;
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/charges/{id}/refunds": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Refund a charge, in full or in part
         * @description Without `amount`, what is left of the charge. 201 when a refund is created, 200 when the `Idempotency-Key` was already used for this refund (its answer again). A refund Stripe refuses is a 409 with the failed `refund` beside `error`. A refund of a credit purchase takes back its credits at the purchase’s price per credit, and is refused before Stripe is called with a 409 `credits_already_spent` (with `balance` and `credits`, how many it would take) when they have been spent. A charge paid with credits is refunded in credits, whole (422 `refund_whole_only` for a part), with no call to Stripe.
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Any unique string of 8–255 printable ASCII characters: a retry with the same key and body gets the first answer, and moves money once. */
                    "idempotency-key"?: string;
                };
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        amount?: number;
                        /** @enum {string} */
                        reason?: "requested_by_customer" | "duplicate" | "fraudulent";
                    };
                };
            };
            responses: {
                /** @description This Idempotency-Key’s refund, again. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            refund: {
                                id: number;
                                charge_id: number;
                                stripe_refund_id: string | null;
                                /** @description In minor units (cents). */
                                amount: number;
                                currency: string;
                                reason: string | null;
                                /** @description Stripe’s: `pending`, `succeeded`, `failed`… */
                                status: string;
                                requested_by: number | null;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                created_at: string;
                            };
                            charge: components["schemas"]["Charge"];
                        };
                    };
                };
                /** @description Refund requested at Stripe. */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            refund: {
                                id: number;
                                charge_id: number;
                                stripe_refund_id: string | null;
                                /** @description In minor units (cents). */
                                amount: number;
                                currency: string;
                                reason: string | null;
                                /** @description Stripe’s: `pending`, `succeeded`, `failed`… */
                                status: string;
                                requested_by: number | null;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                created_at: string;
                            };
                            charge: components["schemas"]["Charge"];
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Conflicts with the current state (the code says which). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Valid input that the thing’s state does not allow now (the code says why). */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description A service we depend on is unavailable; retry later. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/newsletter": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Newsletter slots */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            slots: {
                                /** Format: date */
                                week_start: string;
                                /** Format: date */
                                chosen_week: string;
                                sponsor: string;
                                charge_id: number;
                                /** @enum {string} */
                                charge_status: "pending" | "requires_action" | "processing" | "succeeded" | "failed" | "canceled" | "refunded" | "partially_refunded" | "disputed";
                                /** @description False once freed (its charge refunded or disputed). */
                                active: boolean;
                            }[];
                        };
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/renewals": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Renewals */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            renewals: {
                                product: string;
                                product_name: string;
                                subject_id: number;
                                article_id: number | null;
                                title?: string;
                                buyer: string;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                period_end: string;
                                /**
                                 * @deprecated
                                 * @description The same as `buyer`.
                                 */
                                poster: string;
                                /**
                                 * Format: date-time
                                 * @deprecated
                                 * @description The same as `period_end`.
                                 */
                                paid_until: string;
                                /** @enum {string} */
                                outcome: "pending" | "renewed" | "authentication_required" | "declined" | "no_card" | "not_allowed" | "stopped";
                                charge_id: number | null;
                                failure_message: string | null;
                                notified_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                created_at: string;
                                finished_at: string | null;
                            }[];
                            /** @description Subjects with auto-renewal on, across products. */
                            auto_renew_on: number;
                        };
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/renewals": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your purchases that renew by themselves
         * @description Auto-renew chosen, live, and the period not ended; a stopped one is listed with `auto_renew: false` until its period ends.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            renewals: {
                                product: string;
                                product_name: string;
                                subject_id: number;
                                title: string | null;
                                period_end: string | null;
                                auto_renew: boolean;
                            }[];
                        };
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/renewals/{product}/{subject_id}/auto-renew": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Stop or restore the auto-renewal of one of your purchases
         * @description Stopping covers the current period: it ends and is not charged again. 422 for a purchase bought without auto-renewal or whose period has ended; 409 once the renewal is under way.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    product: string;
                    subject_id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        enabled: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            renewal: {
                                product: string;
                                product_name: string;
                                subject_id: number;
                                title: string | null;
                                period_end: string | null;
                                auto_renew: boolean;
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Conflicts with the current state (the code says which). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Valid input that the thing’s state does not allow now (the code says why). */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many requests (`rate_limited`); `Retry-After` says when to try again. */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credits/purchases": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Buy credits by card
         * @description Priced by the graduated tiers (`GET /api/v1/credits/quote`), never by the client. The same answers as `POST /api/v1/charges`; the credits are granted once, when the payment settles. With `organization`, only its admins may buy (403; 404 for others).
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Any unique string of 8–255 printable ASCII characters: a retry with the same key and body gets the first answer, and moves money once. */
                    "idempotency-key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Credits to buy: a whole number from 1 to 1000 (else 422). */
                        quantity: number;
                        /** @description The slug of an organization you are an admin of: the credits are its, paid with its cards. */
                        organization?: string;
                        payment_method?: string;
                        confirmation_token?: string;
                        save_card?: boolean;
                    };
                };
            };
            responses: {
                /** @description Paid. */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            charge: components["schemas"]["Charge"];
                        };
                    };
                };
                /** @description Not settled yet: processing, or waiting for the buyer’s authentication. */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            charge: {
                                id: number;
                                /** @enum {string} */
                                status: "pending" | "requires_action" | "processing" | "succeeded" | "failed" | "canceled" | "refunded" | "partially_refunded" | "disputed";
                                product: string;
                                article_id: number | null;
                                /** @description In minor units (cents). */
                                amount: number;
                                currency: string;
                                /**
                                 * @deprecated
                                 * @description The PaymentIntent id, by its first name; `payment_intent` says it plainly.
                                 */
                                stripe_charge_key: string | null;
                                payment_intent: string | null;
                                card_brand: string | null;
                                card_last4: string | null;
                                failure_code: string | null;
                                failure_message: string | null;
                                paid_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description An ISO 8601 date-time, UTC.
                                 */
                                created_at: string;
                                amount_refunded: number;
                                /** @description When the card asks for authentication (3-D Secure): confirm it with Stripe.js, then `POST /api/v1/charges/{id}/confirm`. */
                                client_secret?: string | null;
                            } & {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
                /** @description Invalid input: `validation_failed` names each bad field in `fields`. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No valid API token: send `Authorization: Bearer <token>` (`unauthenticated`). */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The card was declined (`card_declined`, or the code Stripe gave); `charge` beside `error` is the failed charge. */
                402: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in, but not allowed (`forbidden`). */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such thing, or not yours (`not_found`). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Conflicts with the current state (the code says which). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The request body is larger than 256 KiB (`payload_too_large`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The body is not JSON (`unsupported_media_type`). */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Valid input that the thing’s state does not allow now (the code says why). */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Too many requests (`rate_limited`); `Retry-After` says when to try again. */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Something went wrong on our side (`internal_error`); nothing about the request is said. */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description A service we depend on is unavailable; retry later. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface webhooks {
    stripeEvent: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A Stripe event, sent by Stripe to POST /webhooks/stripe
         * @description Stripe signs each event (`Stripe-Signature`, checked against every secret in STRIPE_WEBHOOK_SECRET, 5 minutes' tolerance either way). A verified event is stored in the inbox and answered 200 at once, then processed; a duplicate is answered 200 with `duplicate: true`. The types acted on: `payment_intent.succeeded`, `payment_intent.payment_failed`, `payment_intent.canceled`, `payment_intent.requires_action`, `charge.refunded`, `charge.refund.updated`, `charge.dispute.created`, `charge.dispute.closed`, `checkout.session.completed`, `checkout.session.async_payment_succeeded`, `checkout.session.async_payment_failed`, `checkout.session.expired`; any other verified event is stored and ignored.
         */
        post: {
            parameters: {
                query?: never;
                header: {
                    /** @description `t=<unix seconds>,v1=<HMAC-SHA256 of "t.body">` */
                    "Stripe-Signature": string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        id: string;
                        /**
                         * @example payment_intent.succeeded
                         * @example payment_intent.payment_failed
                         * @example payment_intent.canceled
                         * @example payment_intent.requires_action
                         * @example charge.refunded
                         * @example charge.refund.updated
                         * @example charge.dispute.created
                         * @example charge.dispute.closed
                         * @example checkout.session.completed
                         * @example checkout.session.async_payment_succeeded
                         * @example checkout.session.async_payment_failed
                         * @example checkout.session.expired
                         */
                        type: string;
                        created?: number;
                        data: {
                            object: Record<string, never>;
                        };
                    };
                };
            };
            responses: {
                /** @description Stored (or already stored); Stripe stops retrying. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @constant */
                            received: true;
                            duplicate: boolean;
                        };
                    };
                };
                /** @description No signature, a signature that does not verify, or not a Stripe event (`signature_missing`, `signature_invalid`, `event_invalid`); nothing is stored. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface components {
    schemas: {
        /**
         * @example {
         *       "error": {
         *         "code": "validation_failed",
         *         "message": "Some fields are invalid.",
         *         "fields": {
         *           "title": "Enter a title."
         *         }
         *       }
         *     }
         */
        Error: {
            error: {
                /** @description A stable, machine-readable code (`validation_failed`, `not_found`, …). */
                code: string;
                /** @description For a declined card: the bank’s reason, as Stripe gives it. */
                decline_code?: string;
                /** @description A sentence for people; its wording may change. */
                message: string;
                /** @description For `validation_failed`: each invalid field (a dotted path) and what is wrong with it, in a sentence. */
                fields?: {
                    [key: string]: string;
                };
            };
        } & {
            [key: string]: unknown;
        };
        /** @description Other fields are added by the charge’s product. */
        Charge: {
            id: number;
            /** @enum {string} */
            status: "pending" | "requires_action" | "processing" | "succeeded" | "failed" | "canceled" | "refunded" | "partially_refunded" | "disputed";
            product: string;
            article_id: number | null;
            /** @description In minor units (cents). */
            amount: number;
            currency: string;
            /**
             * @deprecated
             * @description The PaymentIntent id, by its first name; `payment_intent` says it plainly.
             */
            stripe_charge_key: string | null;
            payment_intent: string | null;
            card_brand: string | null;
            card_last4: string | null;
            failure_code: string | null;
            failure_message: string | null;
            paid_at: string | null;
            /**
             * Format: date-time
             * @description An ISO 8601 date-time, UTC.
             */
            created_at: string;
            amount_refunded: number;
        } & {
            [key: string]: unknown;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
