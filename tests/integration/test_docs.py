"""The docs stay true to the tree: the architecture tour names every source
file under its folder's heading, the README's layout table names every
folder, and the docs speak of the project alone (no outside document file
names or section numbers)."""

import os
import re

SRCDIR = os.environ.get("MEETD_SRCDIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
SKIP_DIRS = {".git", "node_modules", "build", "build-san", "var", "__pycache__", "autom4te.cache"}


def read(rel):
    with open(os.path.join(SRCDIR, rel), encoding="utf-8") as f:
        return f.read()


def source_files():
    out = []
    for root, dirs, files in os.walk(os.path.join(SRCDIR, "src")):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        out += [os.path.relpath(os.path.join(root, f), SRCDIR) for f in files if f.endswith(".c")]
    return sorted(out)


def tour_sections():
    """{"src/http/": text of that section, ...} from the tour's ### headings."""
    text = read("docs/architecture.md")
    sections = {}
    parts = re.split(r"^### ", text, flags=re.M)
    for part in parts[1:]:
        heading, _, body = part.partition("\n")
        for path in re.findall(r"`(src/[^`]*)`", heading):
            sections[path] = heading + "\n" + body
    return sections


def test_tour_names_every_source_file():
    sections = tour_sections()
    missing = []
    for path in source_files():
        folder = os.path.dirname(path) + "/"
        name = os.path.basename(path)
        section = sections.get(folder, "") + sections.get(path, "")
        if f"`{name}`" not in section and f"`{path}`" not in read("docs/architecture.md"):
            missing.append(path)
    assert not missing, f"docs/architecture.md does not tour: {missing}"


def test_readme_layout_names_every_folder():
    readme = read("README.md")
    table = "\n".join(line for line in readme.splitlines() if line.startswith("|"))
    named = set(re.findall(r"`([^`]+)/`", table))
    folders = set()
    for root, dirs, files in os.walk(SRCDIR):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not (root == SRCDIR and d.startswith("build"))]
        rel = os.path.relpath(root, SRCDIR)
        if rel != "." and files and not rel.startswith(("autom4te", ".")) or rel in (".ci",):
            folders.add(rel)
    # every folder of src/ is named; elsewhere a folder two levels down covers what is below it
    wanted = {f for f in folders if f.startswith("src") or f.count("/") <= 1}
    wanted = {f for f in wanted if not f.startswith(("var", "tests/js/node_modules", "fuzz-out"))}
    missing = sorted(f for f in wanted if f not in named)
    assert not missing, f"README.md's layout table does not name: {missing}"


def test_docs_speak_of_the_project_alone():
    outside = re.compile(r"\b\d{3}_[0-9a-f]{16}\.txt\b|§\s*\d|\bdesign\.md\b|\breliability\.md\b|\bprotocols\.md\b")
    offenders = []
    for rel in ["README.md"] + [os.path.join("docs", f) for f in os.listdir(os.path.join(SRCDIR, "docs"))]:
        for n, line in enumerate(read(rel).splitlines(), 1):
            if outside.search(line):
                offenders.append(f"{rel}:{n}: {line.strip()[:100]}")
    assert not offenders, "\n".join(offenders)


def test_sources_doc_names_every_face_route():
    """docs/sources.md lists the paths of every face (every route of a source system's face)."""
    sources = read("docs/sources.md")
    rows = re.findall(r'\{ M_\w+,\s+"([^"]+)".*?(FACE_\w+)', read("src/api/routes.c"))
    faces = [p for p, face in rows if face != "FACE_V1"]
    named = {re.sub(r"\{\w+\}", "{}", p.split("?")[0]) for p in re.findall(r"`(?:GET|POST|PUT|PATCH|DELETE) ([^`]+)`", sources)}
    missing = [p for p in faces if re.sub(r":\w+", "{}", p) not in named]
    assert not missing, f"docs/sources.md does not name: {missing}"
