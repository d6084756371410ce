/* stub: HTTP endpoints (libmicrohttpd), being written */
