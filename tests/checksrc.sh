#!/bin/sh
# checksrc: fails if src/ or include/ use a banned function (style.md
# habit 5) or send SQL that is not a prepared statement outside the one
# place allowed (src/data/migrate.c runs the embedded migration files).
set -u
dir=${top_srcdir:-.}
status=0
banned='\b(atoi|atol|atoll|sscanf|strcpy|strcat|sprintf|vsprintf|strtok|gets)\('
if grep -nE "$banned" "$dir"/src/*.c "$dir"/src/*/*.c "$dir"/include/*.h; then
  echo "checksrc: banned function used (see above)"; status=1
fi
if grep -nE 'mysql_(real_)?query\(' "$dir"/src/*.c "$dir"/src/*/*.c | grep -v 'src/data/migrate.c'; then
  echo "checksrc: raw SQL outside src/data/migrate.c"; status=1
fi
for f in "$dir"/src/*/*.c; do
  case $f in
    */src/data/*) ;;
    *) if grep -q '#include <mysql.h>' "$f"; then echo "checksrc: $f includes mysql.h"; status=1; fi ;;
  esac
  case $f in
    */src/http/fcgi.c) ;;
    *) if grep -q '#include <fcgiapp.h>' "$f"; then echo "checksrc: $f includes fcgiapp.h"; status=1; fi ;;
  esac
  case $f in
    */src/auth/*) ;;
    *) if grep -qE '#include <(openssl/|jwt.h)' "$f"; then echo "checksrc: $f includes OpenSSL/libjwt"; status=1; fi ;;
  esac
done
# Every test and benchmark file in git must ship in the tarball, or
# distcheck (and CI) silently runs without it.
if [ -e "$dir/.git" ] && command -v git >/dev/null 2>&1; then
  # the fuzz seed corpora ship as one directory, the other fuzz files one by one
  for f in $(git -C "$dir" ls-files 'tests/integration/*.py' 'tests/bench/*' 'tests/fakes/*' 'tests/js/*' \
      'tests/fuzz/*' | sed 's|^tests/fuzz/corpus/.*|tests/fuzz/corpus|' | sort -u); do
    if ! grep -q "$f" "$dir/Makefile.am"; then
      echo "checksrc: $f is not listed in Makefile.am"; status=1
    fi
  done
fi
[ $status -eq 0 ] && echo "checksrc: ok"
exit $status
