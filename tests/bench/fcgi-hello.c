/*
 * fcgi-hello.c — the benchmark's ceiling: the least a libfcgi responder can
 * do (accept, answer a fixed JSON body, finish), pre-forked into N
 * processes on one socket like meetd. Usage: fcgi-hello SOCKET N
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

static const char body[] = "{\"status\":\"success\",\"message\":\"hello\",\"data\":{},"
    "\"timestamp\":\"2024-01-15T10:00:00Z\"}";

/*
 * The whole response, formatted once. (Not with FCGX_FPrintF: libfcgi's own
 * printf knows no "z" modifier and stops at "%zu", which left the response
 * cut off after "Content-Length: " and nginx answering 502.)
 */
static char reply[256];
static int reply_len;

static void
serve(int sock)
{
	FCGX_Request req;

	FCGX_InitRequest(&req, sock, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(reply, reply_len, req.out);
		FCGX_Finish_r(&req);
	}
	exit(0);
}

int
main(int argc, char **argv)
{
	int sock, n, i;

	if (argc != 3 || (n = (int)strtol(argv[2], NULL, 10)) < 1 || n > 64) {
		fprintf(stderr, "usage: fcgi-hello SOCKET N\n");
		return 2;
	}
	reply_len = snprintf(reply, sizeof(reply), "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    sizeof(body) - 1, body);
	if (reply_len < 0 || (size_t)reply_len >= sizeof(reply))
		return 1;
	FCGX_Init();
	unlink(argv[1]);
	if ((sock = FCGX_OpenSocket(argv[1], 1024)) < 0)
		return 1;
	chmod(argv[1], 0666);
	for (i = 0; i < n; i++)
		if (fork() == 0)
			serve(sock);
	signal(SIGTERM, SIG_DFL);
	while (wait(NULL) > 0)
		;
	return 0;
}
