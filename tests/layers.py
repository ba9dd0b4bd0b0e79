#!/usr/bin/env python3
"""layers.py - checks the architecture of host/: every #include "x.h" of a file in layer L
names a header of L or of a layer below it (DESIGN.md section 2), and no
header include cycle exists. Prints 'N passed, N failed'; exit 1 on any violation."""
import os
import re
import sys

# Lowest first: a file may include headers of its own layer and of the layers before it.
LAYERS = ["util", "ocl", "ops", "problems", "optim", "study", "report", "cli"]


def main(root):
    host = os.path.join(root, "host")
    where = {}  # header name -> layer
    files = []
    for layer in LAYERS:
        d = os.path.join(host, layer)
        for name in sorted(os.listdir(d)):
            if name.endswith((".c", ".h")):
                files.append((layer, os.path.join(d, name)))
                if name.endswith(".h"):
                    where[name] = layer
    generated = {"version.h", "kernels_embed.c", "data_embed.c"}
    stray = [n for n in os.listdir(host) if n.endswith((".c", ".h"))]
    fails, passes = [], 0
    if stray:
        fails.append("files outside a layer folder: " + ", ".join(stray))
    graph = {}
    for layer, path in files:
        text = open(path, encoding="utf-8").read()
        incs = re.findall(r'^#include "([^"]+)"', text, re.M)
        graph[os.path.basename(path)] = [i for i in incs if i in where]
        for inc in incs:
            if inc in generated:
                continue
            if inc not in where:
                fails.append(f"{path}: includes unknown header {inc}")
            elif LAYERS.index(where[inc]) > LAYERS.index(layer):
                fails.append(f"{path} ({layer}) includes {inc} of the higher layer {where[inc]}")
            else:
                passes += 1
    # Header cycles: depth-first search over header -> included headers.
    state = {}

    def visit(h, stack):
        state[h] = 1
        for n in graph.get(h, []):
            if state.get(n) == 1:
                fails.append("include cycle: " + " -> ".join(stack[stack.index(n):] + [n]))
            elif n not in state:
                visit(n, stack + [n])
        state[h] = 2

    for h in sorted(k for k in graph if k.endswith(".h")):
        if h not in state:
            visit(h, [h])
    passes += design_refs(root, fails)
    for f in fails:
        print("FAIL " + f)
    print(f"{passes} passed, {len(fails)} failed")
    return 1 if fails else 0


def design_refs(root, fails):
    """Every DESIGN.md section cited in host/, kernels/, tests/, bench/ and README.md exists."""
    path = os.path.join(root, "DESIGN.md")
    if not os.path.exists(path):
        fails.append("DESIGN.md is missing")
        return 0
    sections = set(re.findall(r"^#+ ([0-9]+(?:\.[0-9]+)*)\.? ", open(path, encoding="utf-8").read(), re.M))
    cite = re.compile(r"DESIGN\.md,?\s+(?:section\s+)?([0-9]+(?:\.[0-9]+)*)")
    ok = 0
    sources = [os.path.join(root, "README.md")]
    for top in ("host", "kernels", "tests", "bench"):
        for d, _, names in os.walk(os.path.join(root, top)):
            sources += [os.path.join(d, n) for n in names if not n.endswith((".libsvm", ".pyc"))]
    for src in sources:
        try:
            text = open(src, encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue
        # a citation may wrap over a comment line: join lines, drop comment leaders
        flat = re.sub(r"\n\s*(?:\*|#|//)?\s*", " ", text)
        for ref in cite.findall(flat):
            ref = ref.rstrip(".")
            if ref in sections:
                ok += 1
            else:
                fails.append(f"{src}: cites DESIGN.md {ref}, which has no such section")
    return ok


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")))
