#!/bin/sh
# checksrc: the source rules a compiler does not check.
#  - banned functions (style.md habit 5) and SQL that is not a prepared
#    statement outside src/store/migrate.c (which runs the embedded
#    migration files);
#  - each library header stays in its room: mysql.h in src/store/,
#    fcgiapp.h in src/http/fcgi.c, OpenSSL and libjwt in src/auth/,
#    curl in src/outbound/;
#  - the layers (docs/architecture.md): every include names its layer
#    ("domain/meeting.h"), and
#      core      includes core only
#      store     never includes http, process, api or domain
#      domain    never includes http, api or process
#      platforms never includes http, api or process
#      api       never includes store or platforms (it calls the domain)
#      faces and hooks (src/api/faces, src/api/hooks) make no database call;
#  - every test, benchmark and fake in git ships in the tarball.
set -u
dir=${top_srcdir:-.}
status=0
fail() { echo "checksrc: $*"; status=1; }

sources=$(find "$dir/src" "$dir/include" -name '*.[ch]' | sort)
banned='\b(atoi|atol|atoll|sscanf|strcpy|strcat|sprintf|vsprintf|strtok|gets)\('
# shellcheck disable=SC2086
if grep -nE "$banned" $sources; then fail "banned function used (see above)"; fi
# shellcheck disable=SC2086
# db.c may send START TRANSACTION (fixed text: it cannot be prepared)
if grep -nE 'mysql_(real_)?query\(' $sources | grep -v 'src/store/migrate.c' |
    grep -v 'src/store/db.c:.*mysql_real_query(db->conn, "START TRANSACTION", 17)'; then
  fail "raw SQL outside src/store/migrate.c"
fi

# the layer a source file belongs to, from its path
layer_of() {
  case $1 in
    */src/api/faces/*|*/src/api/hooks/*) echo face ;;
    */src/main.c) echo main ;;
    */src/*/*) f=${1#*/src/}; echo "${f%%/*}" ;;
    */include/*/*) f=${1#*/include/}; echo "${f%%/*}" ;;
    *) echo other ;;
  esac
}

for f in $sources; do
  layer=$(layer_of "$f")
  case $f in */src/store/*) ;; *)
    grep -q '#include <mysql.h>' "$f" && fail "$f includes mysql.h (only src/store/ may)" ;;
  esac
  case $f in */src/http/fcgi.c) ;; *)
    grep -q '#include <fcgiapp.h>' "$f" && fail "$f includes fcgiapp.h (only src/http/fcgi.c may)" ;;
  esac
  case $f in */src/auth/*) ;; *)
    grep -qE '#include <(openssl/|jwt.h)' "$f" && fail "$f includes OpenSSL/libjwt (only src/auth/ may)" ;;
  esac
  case $f in */src/outbound/*) ;; *)
    grep -q '#include <curl/' "$f" && fail "$f includes curl (only src/outbound/ may)" ;;
  esac
  # every project include names its layer
  if grep -nE '#include "[a-z_0-9]+\.h"' "$f" | grep -v 'autoconfig.h'; then
    fail "$f: an include without its layer folder (see above)"
  fi
  includes=$(sed -n 's/^#include "\([a-z]*\)\/.*/\1/p' "$f" | sort -u)
  forbid=""
  case $layer in
    core) forbid="config store auth http outbound platforms domain api jobs process cli" ;;
    store) forbid="http process api domain platforms jobs cli" ;;
    domain) forbid="http api process cli" ;;
    platforms) forbid="http api process cli" ;;
    api) forbid="store platforms" ;;
    face) forbid="store platforms" ;;
  esac
  for l in $forbid; do
    for i in $includes; do
      [ "$i" = "$l" ] && fail "$f ($layer) includes $l/"
    done
  done
  if [ "$layer" = face ] && grep -nE '\bdb_(exec|tx)\(' "$f"; then
    fail "$f: a face makes a database call (see above)"
  fi
done

# Every test and benchmark file in git must ship in the tarball, or
# distcheck (and CI) silently runs without it.
if [ -e "$dir/.git" ] && command -v git >/dev/null 2>&1; then
  # the fuzz seed corpora ship as one directory, the other fuzz files one by one
  for f in $(git -C "$dir" ls-files 'tests/integration/*.py' 'tests/bench/*' 'tests/fakes/*' 'tests/js/*' \
      'tests/fuzz/*' | sed 's|^tests/fuzz/corpus/.*|tests/fuzz/corpus|' | sort -u); do
    if ! grep -q "$f" "$dir/Makefile.am"; then
      fail "$f is not listed in Makefile.am"
    fi
  done
fi
[ $status -eq 0 ] && echo "checksrc: ok"
exit $status
