#!/usr/bin/env python3
"""Fails when a crate's modules import each other in a circle.

Reads every `crates/*/src/**/*.rs`, takes each file's module path (`store/posts.rs` is
`store::posts`), and collects the modules it names through `crate::…` and `super::…` paths
(in `use` lines and in code). Two graphs are checked for cycles: top-level modules (the layers:
`api`, `domain`, `store`, …) and all modules. A module naming its own descendants is not an
edge (a parent may use what it declares). Prints the cycles found and exits 1, or exits 0.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
BRACED = re.compile(r"\b(crate|super)::\{([^;]*?)\};", re.S)


def module_of(src: pathlib.Path, file: pathlib.Path) -> list[str]:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    return parts


def edges_of(src: pathlib.Path, file: pathlib.Path, modules: set[tuple[str, ...]]):
    module = module_of(src, file)
    is_dir_module = file.name in ("lib.rs", "main.rs", "mod.rs")
    text = re.sub(r"//[^\n]*", "", file.read_text())
    paths = []
    for kind, body in BRACED.findall(text):
        for item in re.split(r"[,{}]", body):
            names = [n for n in re.split(r"::", item.strip()) if n and n not in ("self",)]
            if names:
                paths.append((kind, names[:1]))
    for kind, rest in PATH.findall(text):
        paths.append((kind, [n for n in rest.split("::") if n]))
    for kind, rest in paths:
        # `super` inside a file module is the parent of the file's module.
        base = module[:] if is_dir_module else module[:-1]
        if kind == "super":
            base = base[:-1] if is_dir_module else base
            while rest and rest[0] == "super":
                base = base[:-1]
                rest = rest[1:]
        else:
            base = []
        target = base + rest
        # The longest prefix that is a module.
        while target and tuple(target) not in modules:
            target = target[:-1]
        if not target:
            continue
        if target[: len(module)] == module:
            continue  # a module uses what it declares
        yield tuple(module), tuple(target)


def cycles(graph: dict) -> list[list]:
    found, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


def main() -> int:
    bad = 0
    for crate in sorted((ROOT / "crates").iterdir()):
        src = crate / "src"
        if not src.is_dir():
            continue
        files = sorted(src.rglob("*.rs"))
        modules = {tuple(module_of(src, f)) for f in files}
        top, full = {}, {}
        for f in files:
            for a, b in edges_of(src, f, modules):
                full.setdefault(a, set()).add(b)
                ta, tb = a[:1], b[:1]
                if ta and tb and ta != tb:
                    top.setdefault(ta, set()).add(tb)
        for name, graph in (("layers", top), ("modules", full)):
            for cycle in cycles(graph):
                bad += 1
                print(f"{crate.name}: {name} import each other: " + " -> ".join("::".join(m) or "crate" for m in cycle))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
