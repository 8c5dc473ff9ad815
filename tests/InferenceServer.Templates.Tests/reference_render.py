"""Reference chat-template renderer for the conformance test.

Renders the way Hugging Face transformers does: jinja2 ImmutableSandboxedEnvironment(trim_blocks=True,
lstrip_blocks=True) with the loopcontrols extension, raise_exception, a tojson that keeps non-ASCII, and
strftime_now reading a fixed date given in the input so both renderers agree.

stdin: {"now": "2026-01-02T03:04:05", "templates": {name: source}, "cases": [{"template": name, "variables": {...}}],
        "repeat": optional count of timed renders per case}
stdout: [{"ok": true, "output": str, "seconds": mean render time when repeat is given} | {"ok": false, "error": str}]
        in case order.
"""
import json
import sys
import time
from datetime import datetime

from jinja2.exceptions import TemplateError
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def main():
    request = json.load(sys.stdin)
    now = datetime.fromisoformat(request["now"])

    def raise_exception(message):
        raise TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: now.strftime(fmt)

    compiled = {}
    for name, source in request["templates"].items():
        try:
            compiled[name] = env.from_string(source)
        except Exception as e:  # a template jinja2 cannot parse fails every case
            compiled[name] = e

    results = []
    for case in request["cases"]:
        template = compiled[case["template"]]
        if isinstance(template, Exception):
            results.append({"ok": False, "error": f"{type(template).__name__}: {template}"})
            continue
        try:
            result = {"ok": True, "output": template.render(**case["variables"])}
            repeat = request.get("repeat")
            if repeat:
                start = time.perf_counter()
                for _ in range(repeat):
                    template.render(**case["variables"])
                result["seconds"] = (time.perf_counter() - start) / repeat
            results.append(result)
        except Exception as e:
            results.append({"ok": False, "error": f"{type(e).__name__}: {e}"})
    json.dump(results, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
