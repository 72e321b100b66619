/*
 * fcgi.h — the only place that knows libfcgi. Turns a FastCGI request into
 * a struct request and a struct response into FastCGI stdout records.
 */
#ifndef MEETD_FCGI_H
#define MEETD_FCGI_H

#include <stdbool.h>

#include "http/request.h"
#include "http/response.h"

struct fcgi_conn;

enum fcgi_accept { FCGI_ACCEPTED, FCGI_AGAIN, FCGI_FAILED };

/* One reusable connection state for a listening socket; caller owns. */
struct fcgi_conn *fcgi_conn_new(int listen_fd);
void fcgi_conn_free(struct fcgi_conn *c);
/* Accepts one request if one is waiting (the socket is non-blocking). */
enum fcgi_accept fcgi_accept(struct fcgi_conn *c);
/* Fills the request's raw fields (arena-owned copies) and body source. */
void fcgi_fill(struct fcgi_conn *c, struct request *rq);
/* The same raw fields from FastCGI params alone (libfcgi's envp: "NAME=value"
 * strings, NULL-terminated), with no I/O: the header source reads envp, which
 * must outlive the request. fcgi_fill() calls it; so does the fuzzer. */
void fcgi_request_from_params(char *const *envp, struct request *rq);
/* Writes status line, headers and body. */
void fcgi_send(struct fcgi_conn *c, const struct request *rq, const struct response *rs);
/* Ends the request and closes the connection to nginx. */
void fcgi_finish(struct fcgi_conn *c);

#endif
