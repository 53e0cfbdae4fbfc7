"""The override grammar, one table of arguments and what they mean.

The same table is printed in docs/configuration-and-overrides.md ("The override grammar");
``test_docs_table_is_this_table`` keeps the two equal, and ``python docs/update_grammar_table.py``
rewrites the page's copy from this one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Tuple

import pytest

from mlxp.errors import OverrideError, OverrideSyntaxError
from mlxp.overrides import (
    Glob,
    Interval,
    Override,
    OverrideKind,
    format_override,
    format_value,
    parse_override,
    parse_overrides,
)

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration-and-overrides.md"
TABLE_START = "<!-- grammar-table: start (generated from tests/test_overrides.py) -->"
TABLE_END = "<!-- grammar-table: end -->"


@dataclass(frozen=True)
class Fails:
    """An argument the parser must refuse: words of the reason, caret column, quoting hint."""

    reason: str
    column: int
    hint: bool = False


def one(kind: str, key: str, value: Any) -> Override:
    return Override(kind, key, (value,))


def sweep(kind: str, key: str, *values: Any) -> Override:
    return Override(kind, key, values, is_sweep=True)


SET, ADD, FORCE, DELETE = "set", "add", "force", "delete"

SECTIONS: List[Tuple[str, list]] = [
    ("Keys and what an override does", [
        pytest.param("a=1", one(SET, "a", 1), id="set"),
        pytest.param("model.num_units=100", one(SET, "model.num_units", 100), id="set-dotted"),
        pytest.param("+model.num_layers=6", one(ADD, "model.num_layers", 6), id="add"),
        pytest.param("++optimizer.lr=0.1", one(FORCE, "optimizer.lr", 0.1), id="add-or-set"),
        pytest.param("~data.device", Override(DELETE, "data.device"), id="delete"),
        pytest.param("~data.device=cpu", one(DELETE, "data.device", "cpu"), id="delete-if-equal"),
        pytest.param("~data.device=", one(DELETE, "data.device", ""), id="delete-if-empty"),
        pytest.param("mlxp.use_logger=false", one(SET, "mlxp.use_logger", False), id="mlxp-key"),
        pytest.param("+mlxp.logger.forced_log_id=3", one(ADD, "mlxp.logger.forced_log_id", 3),
                     id="mlxp-key-with-plus"),
        pytest.param("layers.0.units=64", one(SET, "layers.0.units", 64), id="key-list-index"),
        pytest.param("my-model_2.drop_rate=0.5", one(SET, "my-model_2.drop_rate", 0.5),
                     id="key-dash-underscore"),
        pytest.param("données.taille=3", one(SET, "données.taille", 3), id="key-non-ascii"),
        pytest.param("a=", one(SET, "a", ""), id="empty-value"),
        pytest.param("a=   ", one(SET, "a", ""), id="blank-value"),
    ]),
    ("Scalars: typed as in MLXP (Hydra's grammar)", [
        pytest.param("lr=1e-3", one(SET, "lr", 0.001), id="float-exponent"),
        pytest.param("lr=1e-05", one(SET, "lr", 1e-05), id="float-exponent-leading-zero"),
        pytest.param("lr=10.", one(SET, "lr", 10.0), id="float-trailing-dot"),
        pytest.param("lr=.5", one(SET, "lr", 0.5), id="float-leading-dot"),
        pytest.param("lr=-.5", one(SET, "lr", -0.5), id="float-signed-leading-dot"),
        pytest.param("x=-2", one(SET, "x", -2), id="int-negative"),
        pytest.param("x=1_000", one(SET, "x", 1000), id="int-underscores"),
        pytest.param("x=012", one(SET, "x", "012"), id="leading-zero-is-a-string"),
        pytest.param("x=0x1F", one(SET, "x", "0x1F"), id="hex-is-a-string"),
        pytest.param("x=0o17", one(SET, "x", "0o17"), id="octal-is-a-string"),
        pytest.param("t=1:30", one(SET, "t", "1:30"), id="time-is-a-string"),
        pytest.param("flag=true", one(SET, "flag", True), id="bool-true"),
        pytest.param("flag=False", one(SET, "flag", False), id="bool-capitalised"),
        pytest.param("flag=trUe", one(SET, "flag", True), id="bool-any-case"),
        pytest.param("word=yes", one(SET, "word", "yes"), id="yes-is-a-word"),
        pytest.param("word=off", one(SET, "word", "off"), id="off-is-a-word"),
        pytest.param("x=null", one(SET, "x", None), id="null"),
        pytest.param("x=NULL", one(SET, "x", None), id="null-any-case"),
        pytest.param("x=~", one(SET, "x", "~"), id="tilde-is-a-string"),
        pytest.param("x=inf", one(SET, "x", math.inf), id="infinity"),
        pytest.param("x=-inf", one(SET, "x", -math.inf), id="minus-infinity"),
        pytest.param("x=nan", one(SET, "x", math.nan), id="nan"),
        pytest.param("x=.inf", one(SET, "x", ".inf"), id="dot-inf-is-a-string"),
        pytest.param("version=1.2.3", one(SET, "version", "1.2.3"), id="version-is-a-string"),
        pytest.param("name=resnet50", one(SET, "name", "resnet50"), id="word"),
        pytest.param("path=/data/imagenet/train", one(SET, "path", "/data/imagenet/train"),
                     id="path"),
        pytest.param("path=~/data", one(SET, "path", "~/data"), id="home-path"),
        pytest.param("url=http://host:8080/a?b=c#d", one(SET, "url", "http://host:8080/a?b=c#d"),
                     id="url"),
        pytest.param("s=@%*#/:~^", one(SET, "s", "@%*#/:~^"), id="symbols"),
        pytest.param("expr=a=b", one(SET, "expr", "a=b"), id="equals-in-value"),
        pytest.param("msg=hello world", one(SET, "msg", "hello world"), id="inner-space"),
        pytest.param("msg=  padded  ", one(SET, "msg", "padded"), id="edge-spaces-trimmed"),
        pytest.param("name=héllo_日本語", one(SET, "name", "héllo_日本語"), id="non-ascii"),
        pytest.param("tag=🚀", one(SET, "tag", "🚀"), id="emoji"),
        pytest.param("s=it's", one(SET, "s", "it's"), id="apostrophe-inside-a-word"),
        pytest.param("n=" + "1" * 65, one(SET, "n", int("1" * 65)), id="int-of-65-digits"),
    ]),
    ("Quoting and escaping: one string, never typed, never a sweep", [
        pytest.param("a='x,y'", one(SET, "a", "x,y"), id="single-quoted-comma"),
        pytest.param('a="x,y"', one(SET, "a", "x,y"), id="double-quoted-comma"),
        pytest.param(r"a=x\,y", one(SET, "a", "x,y"), id="escaped-comma"),
        pytest.param("a='1'", one(SET, "a", "1"), id="quoted-number-is-a-string"),
        pytest.param('a="true"', one(SET, "a", "true"), id="quoted-bool-is-a-string"),
        pytest.param("a=''", one(SET, "a", ""), id="quoted-empty"),
        pytest.param("a='  two  spaces  '", one(SET, "a", "  two  spaces  "),
                     id="quoted-spaces-kept"),
        pytest.param(r"a='it\'s'", one(SET, "a", "it's"), id="escaped-quote"),
        pytest.param(r'a="say \"hi\""', one(SET, "a", 'say "hi"'), id="escaped-double-quote"),
        pytest.param(r"a='back\\slash'", one(SET, "a", "back\\slash"), id="escaped-backslash"),
        pytest.param(r"a='C:\temp'", one(SET, "a", "C:\\temp"), id="quoted-backslash-kept"),
        pytest.param(r"a=C:\temp", one(SET, "a", "C:\\temp"), id="plain-backslash-kept"),
        pytest.param("a=x\\ ", one(SET, "a", "x "), id="escaped-trailing-space"),
        pytest.param(r"a=\[1\]", one(SET, "a", "[1]"), id="escaped-brackets"),
        pytest.param(r"a=1\,000", one(SET, "a", "1,000"), id="escaped-number-is-a-string"),
        pytest.param(r"a=\~", one(SET, "a", "~"), id="escaped-tilde-is-a-string"),
        pytest.param("a='[1,2]'", one(SET, "a", "[1,2]"), id="quoted-brackets"),
    ]),
    ("Interpolations: kept verbatim, resolved later", [
        pytest.param("a=${model.dim}", one(SET, "a", "${model.dim}"), id="interpolation"),
        pytest.param("a=${oc.env:DATA,/tmp/data}", one(SET, "a", "${oc.env:DATA,/tmp/data}"),
                     id="env-default-comma-is-no-sweep"),
        pytest.param("a=${oc.env:X,${y}}", one(SET, "a", "${oc.env:X,${y}}"),
                     id="nested-interpolation"),
        pytest.param("a=runs/${name}_v2", one(SET, "a", "runs/${name}_v2"),
                     id="interpolation-in-text"),
        pytest.param("a=${x},${y}", sweep(SET, "a", "${x}", "${y}"), id="sweep-of-interpolations"),
        pytest.param("a='${x}'", one(SET, "a", "${x}"), id="quoted-interpolation"),
        pytest.param("a=[${x}, 2]", one(SET, "a", ["${x}", 2]), id="interpolation-in-list"),
        pytest.param(r"a=\${x}", one(SET, "a", r"\${x}"), id="escaped-interpolation-kept"),
        pytest.param(r"a=cost\${x},y", sweep(SET, "a", r"cost\${x}", "y"),
                     id="escaped-interpolation-in-sweep"),
    ]),
    ("Sweeps", [
        pytest.param("seed=1,2,3", sweep(SET, "seed", 1, 2, 3), id="sweep"),
        pytest.param("optimizer.lr=10.,1.", sweep(SET, "optimizer.lr", 10.0, 1.0),
                     id="sweep-floats"),
        pytest.param("seed=1, 2 ,3", sweep(SET, "seed", 1, 2, 3), id="sweep-spaces-trimmed"),
        pytest.param("a=1,x,null,true", sweep(SET, "a", 1, "x", None, True),
                     id="sweep-mixed-types"),
        pytest.param("device=cpu,'cuda:0,1'", sweep(SET, "device", "cpu", "cuda:0,1"),
                     id="sweep-with-quoted-comma"),
        pytest.param("+a=1,2", sweep(ADD, "a", 1, 2), id="sweep-add"),
        pytest.param("++a=x,y", sweep(FORCE, "a", "x", "y"), id="sweep-add-or-set"),
        pytest.param("x=[1,2],[3,4]", sweep(SET, "x", [1, 2], [3, 4]), id="sweep-of-lists"),
        pytest.param("x={a: 1},{a: 2}", sweep(SET, "x", {"a": 1}, {"a": 2}),
                     id="sweep-of-mappings"),
        pytest.param("seed=range(1,4)", sweep(SET, "seed", 1, 2, 3), id="range"),
        pytest.param("a=range(0,10,3)", sweep(SET, "a", 0, 3, 6, 9), id="range-step"),
        pytest.param("a=range(5,0,-2)", sweep(SET, "a", 5, 3, 1), id="range-negative-step"),
        pytest.param("a=range(0,1,0.25)", sweep(SET, "a", 0.0, 0.25, 0.5, 0.75),
                     id="range-floats"),
        pytest.param("a=range(0,0.5,0.1)", sweep(SET, "a", 0.0, 0.1, 0.2, 0.3, 0.4),
                     id="range-floats-no-drift"),
        pytest.param("a=range( 1 , 3 )", sweep(SET, "a", 1, 2), id="range-spaces"),
        pytest.param("a=range(1,2)", sweep(SET, "a", 1), id="range-of-one"),
        pytest.param("seed=choice(5,6)", sweep(SET, "seed", 5, 6), id="choice"),
        pytest.param("a=choice(x)", sweep(SET, "a", "x"), id="choice-of-one"),
        pytest.param("a=choice([1,2],[3])", sweep(SET, "a", [1, 2], [3]), id="choice-of-lists"),
        pytest.param("a=choice('a,b',c)", sweep(SET, "a", "a,b", "c"), id="choice-quoted"),
    ]),
    ("Config groups and packages: the key as written", [
        pytest.param("model=vit", one(SET, "model", "vit"), id="group-option"),
        pytest.param("model/backbone=small", one(SET, "model/backbone", "small"),
                     id="group-nested"),
        pytest.param("model@encoder=resnet", one(SET, "model@encoder", "resnet"),
                     id="group-package"),
        pytest.param("+model@encoder=resnet", one(ADD, "model@encoder", "resnet"),
                     id="group-package-add"),
        pytest.param("~model@encoder", Override(DELETE, "model@encoder"),
                     id="group-package-delete"),
        pytest.param("model/backbone@encoder.net=small",
                     one(SET, "model/backbone@encoder.net", "small"), id="group-dotted-package"),
        pytest.param("db@=mysql", one(SET, "db@", "mysql"), id="group-global-package"),
        pytest.param("model=resnet,vit", sweep(SET, "model", "resnet", "vit"),
                     id="group-sweep"),
        pytest.param("model=glob(*)", sweep(SET, "model", Glob("*")), id="glob"),
        pytest.param("model=glob(*,exclude=vit*)", sweep(SET, "model", Glob("*", "vit*")),
                     id="glob-exclude"),
        pytest.param("model=glob([a*,b*],exclude=[c*])",
                     sweep(SET, "model", Glob(["a*", "b*"], ["c*"])), id="glob-lists"),
        pytest.param("model=glob(include=r*)", sweep(SET, "model", Glob("r*")),
                     id="glob-keyword"),
    ]),
    ("Functions: casts, order, ranges (Hydra's meaning)", [
        pytest.param("a=int(3.7)", one(SET, "a", 3), id="cast-int"),
        pytest.param("a=float(10)", one(SET, "a", 10.0), id="cast-float"),
        pytest.param("a=str(10.0)", one(SET, "a", "10.0"), id="cast-str"),
        pytest.param("a=str(true)", one(SET, "a", "true"), id="cast-str-bool"),
        pytest.param("a=bool(0)", one(SET, "a", False), id="cast-bool"),
        pytest.param("a=bool('true')", one(SET, "a", True), id="cast-bool-word"),
        pytest.param("a=int('10')", one(SET, "a", 10), id="cast-quoted"),
        pytest.param("a=str([1,2])", one(SET, "a", ["1", "2"]), id="cast-list"),
        pytest.param("a=float({x: 1})", one(SET, "a", {"x": 1.0}), id="cast-mapping"),
        pytest.param("a=int(1.5,2.5)", sweep(SET, "a", 1, 2), id="cast-of-values-is-a-sweep"),
        pytest.param("a=str(choice(1,2))", sweep(SET, "a", "1", "2"), id="cast-sweep"),
        pytest.param("a=float(range(1,3))", sweep(SET, "a", 1.0, 2.0), id="cast-range"),
        pytest.param("a=sort([3,1,2])", one(SET, "a", [1, 2, 3]), id="sort-list"),
        pytest.param("a=sort(3,1,2)", sweep(SET, "a", 1, 2, 3), id="sort-sweep"),
        pytest.param("a=sort(b,c,a,reverse=true)", sweep(SET, "a", "c", "b", "a"),
                     id="sort-reverse"),
        pytest.param("a=sort(range(1,4),reverse=true)", sweep(SET, "a", 3, 2, 1),
                     id="sort-range"),
        pytest.param("a=shuffle(1,2,3)", Override(SET, "a", (1, 2, 3), True, shuffle=True),
                     id="shuffle-sweep"),
        pytest.param("a=shuffle([1,2,3])", Override(SET, "a", ([1, 2, 3],), shuffle=True),
                     id="shuffle-list"),
        pytest.param("a=range(3)", sweep(SET, "a", 0, 1, 2), id="range-one-number"),
        pytest.param("a=range(1.0,3.14)", sweep(SET, "a", 1.0, 2.0, 3.0),
                     id="range-floats-step-one"),
        pytest.param("a=range(start=1,stop=10,step=4)", sweep(SET, "a", 1, 5, 9),
                     id="range-keywords"),
        pytest.param("a=range(1,step=2,stop=6)", sweep(SET, "a", 1, 3, 5),
                     id="range-mixed-keywords"),
        pytest.param("a=choice (x,y)", sweep(SET, "a", "x", "y"), id="space-before-call"),
        pytest.param("a=choice\t(  1\t )", sweep(SET, "a", 1), id="tabs-in-call"),
        pytest.param("a=tag(small,choice(1,2))", sweep(SET, "a", 1, 2), id="tag-of-choice"),
        pytest.param("choice=reverse", one(SET, "choice", "reverse"), id="function-name-as-key"),
    ]),
    ("Random search: interval() axes, drawn by mlxp.sweeper.samples", [
        pytest.param("lr=interval(1e-5,1e-1)", sweep(SET, "lr", Interval(1e-5, 0.1)),
                     id="interval"),
        pytest.param("lr=tag(log,interval(1e-5,1e-1))",
                     sweep(SET, "lr", Interval(1e-5, 0.1, ["log"])), id="interval-log"),
        pytest.param("n=int(interval(1,8))", sweep(SET, "n", Interval(1, 8)),
                     id="interval-int"),
        pytest.param("x=interval(start=0,end=1)", sweep(SET, "x", Interval(0.0, 1.0)),
                     id="interval-keywords"),
    ]),
    ("Lists and mappings", [
        pytest.param("a=[1,2]", one(SET, "a", [1, 2]), id="list"),
        pytest.param("a=[]", one(SET, "a", []), id="empty-list"),
        pytest.param("a={}", one(SET, "a", {}), id="empty-mapping"),
        pytest.param("a=[ 1 , x , 'y,z' ]", one(SET, "a", [1, "x", "y,z"]), id="list-spaces"),
        pytest.param("a=[1e-3, yes, null, true]", one(SET, "a", [0.001, "yes", None, True]),
                     id="list-typed"),
        pytest.param("a=[[1,2],[3]]", one(SET, "a", [[1, 2], [3]]), id="list-nested"),
        pytest.param("a={k: 1, j: [2]}", one(SET, "a", {"k": 1, "j": [2]}), id="mapping"),
        pytest.param("a={k:1}", one(SET, "a", {"k": 1}), id="mapping-compact"),
        pytest.param("a={1: one}", one(SET, "a", {1: "one"}), id="mapping-int-key"),
        pytest.param("a={'a:b': 1}", one(SET, "a", {"a:b": 1}), id="mapping-quoted-key"),
        pytest.param("a={url: http://x}", one(SET, "a", {"url": "http://x"}),
                     id="mapping-colon-in-value"),
        pytest.param("a=[{k: v}, null]", one(SET, "a", [{"k": "v"}, None]), id="list-of-mappings"),
    ]),
    ("Errors: the reason and the column of the caret", [
        pytest.param("a", Fails("expected '=' after the key", 1), id="err-no-equals"),
        pytest.param("=1", Fails("a key cannot be empty", 0), id="err-empty-key"),
        pytest.param("+=1", Fails("a key cannot be empty", 1), id="err-empty-key-add"),
        pytest.param("~", Fails("a key cannot be empty", 1), id="err-delete-nothing"),
        pytest.param("a..b=1", Fails("a key cannot contain '..'", 2), id="err-double-dot"),
        pytest.param(".a=1", Fails("a key cannot start with '.'", 0), id="err-leading-dot"),
        pytest.param("a.=1", Fails("a key cannot end with '.'", 1), id="err-trailing-dot"),
        pytest.param("a b=1", Fails("unexpected ' ' in the key", 1), id="err-space-in-key"),
        pytest.param("a =1", Fails("no spaces around '='", 1), id="err-space-before-equals"),
        pytest.param("+++a=1", Fails("too many '+'", 2), id="err-triple-plus"),
        pytest.param("--lr=1", Fails("a key cannot start with '-'", 0), id="err-flag-like"),
        pytest.param("a:1", Fails("write key=value, not key:value", 1), id="err-colon"),
        pytest.param("a=x,", Fails("expected a value after ','", 4, hint=True),
                     id="err-trailing-comma"),
        pytest.param("a=,1", Fails("expected a value before ','", 2, hint=True),
                     id="err-leading-comma"),
        pytest.param("a=1,,2", Fails("expected a value before ','", 4, hint=True),
                     id="err-double-comma"),
        pytest.param("a=[1,2", Fails("missing ']' to close this '['", 2, hint=True),
                     id="err-unclosed-list"),
        pytest.param("a=b]", Fails("unexpected ']'", 3, hint=True), id="err-stray-bracket"),
        pytest.param("a=x)", Fails("unexpected ')'", 3, hint=True), id="err-stray-paren"),
        pytest.param("a=x[0]", Fails("unexpected '['", 3, hint=True), id="err-bracket-in-word"),
        pytest.param("a=[1}", Fails("unexpected '}'", 4, hint=True), id="err-mismatched"),
        pytest.param("a=[1,]", Fails("expected a value after ','", 5, hint=True),
                     id="err-list-trailing-comma"),
        pytest.param("a=[1]x", Fails("unexpected 'x'", 5), id="err-text-after-list"),
        pytest.param("a={k: 1", Fails("missing '}' to close this '{'", 2, hint=True),
                     id="err-unclosed-mapping"),
        pytest.param("a={k}", Fails("expected ':' after the mapping key", 4),
                     id="err-mapping-no-colon"),
        pytest.param("a={k: 1, k: 2}", Fails("duplicate key 'k'", 9),
                     id="err-mapping-duplicate"),
        pytest.param("a={: 1}", Fails("a mapping key cannot be empty", 3),
                     id="err-mapping-empty-key"),
        pytest.param("a={k: }", Fails("expected a value after ':'", 6),
                     id="err-mapping-no-value"),
        pytest.param("a={[1]: 2}", Fails("cannot be a list or a mapping", 3),
                     id="err-mapping-list-key"),
        pytest.param("a='x", Fails("unterminated quoted string", 2), id="err-unclosed-quote"),
        pytest.param("a=\"x'", Fails("unterminated quoted string", 2), id="err-mixed-quotes"),
        pytest.param("a='x\\'", Fails("unterminated quoted string", 2),
                     id="err-escaped-closing-quote"),
        pytest.param("a='x'y", Fails("after a quoted string", 5), id="err-text-after-quote"),
        pytest.param("a=${x", Fails("unterminated '${'", 2), id="err-unclosed-interpolation"),
        pytest.param("a=range(1,2,3,4)", Fails("range(): too many positional arguments", 2),
                     id="err-range-four-numbers"),
        pytest.param("a=range(5,1)", Fails("range(5,1) is empty", 2), id="err-range-empty"),
        pytest.param("a=range(1,5,-1)", Fails("range(1,5,-1) is empty", 2),
                     id="err-range-empty-negative"),
        pytest.param("a=range(1,x)", Fails("range() takes numbers, not 'x'", 10),
                     id="err-range-word"),
        pytest.param("a=range(true,3)", Fails("range() takes numbers, not 'true'", 8),
                     id="err-range-bool"),
        pytest.param("a=range(1,)", Fails("expected a value after ','", 10, hint=True),
                     id="err-range-missing"),
        pytest.param("a=range(1,5,0)", Fails("range() step cannot be 0", 12),
                     id="err-range-zero-step"),
        pytest.param("a=range(1,5,step=0)", Fails("range() step cannot be 0", 17),
                     id="err-range-zero-step-keyword"),
        pytest.param("a=range(start=1,5)", Fails("cannot follow a named one", 16),
                     id="err-range-position-after-keyword"),
        pytest.param("a=range(1,stop=5,stop=6)", Fails("got stop= twice", 17),
                     id="err-range-keyword-twice"),
        pytest.param("a=range(1,5,size=2)", Fails("unexpected keyword argument 'size'", 2),
                     id="err-range-unknown-keyword"),
        pytest.param("a=range(1,5", Fails("missing ')' to close this '('", 7, hint=True),
                     id="err-range-unclosed"),
        pytest.param("a=range(1,3),4", Fails("range(...) must be the whole value", 2, hint=True),
                     id="err-range-then-more"),
        pytest.param("a=1,range(1,3)", Fails("range(...) must be the whole value", 4, hint=True),
                     id="err-range-inside-sweep"),
        pytest.param("a=[1,choice(2,3)]", Fails("cannot be an item of a list", 5, hint=True),
                     id="err-sweep-inside-list"),
        pytest.param("a=range(0,1e7,0.5)", Fails("at most 1000000", 2), id="err-range-too-big"),
        pytest.param("a=choice()", Fails("choice() needs at least one value", 2),
                     id="err-choice-empty"),
        pytest.param("a=choice(1,2", Fails("missing ')' to close this '('", 8, hint=True),
                     id="err-choice-unclosed"),
        pytest.param("a=logspace(1,2)", Fails("unknown function logspace()", 2, hint=True),
                     id="err-unknown-function"),
        pytest.param("~a=1,2", Fails("'~key' takes no sweep", 4), id="err-delete-sweep"),
        pytest.param("@pkg=x", Fails("a key cannot be empty", 0), id="err-package-only"),
        pytest.param("a/b.c=1", Fails("cannot hold '.'", 3), id="err-group-with-dot"),
        pytest.param("a//b=1", Fails("config group name cannot be empty", 2),
                     id="err-group-empty-name"),
        pytest.param("a@b@c=1", Fails("at most one '@package'", 3), id="err-two-packages"),
        pytest.param("a@b/c=1", Fails("unexpected '/' in the package", 3),
                     id="err-slash-in-package"),
        pytest.param("a@pkg1:pkg2=x", Fails("unexpected ':' in the package", 6),
                     id="err-package-rename"),
        pytest.param("a=int(x)", Fails("cannot make 'x' an int", 2), id="err-cast-word"),
        pytest.param("a=bool(x)", Fails("cannot make 'x' a bool", 2), id="err-cast-bool-word"),
        pytest.param("a=str(range(1,3))", Fails("can be cast to int or float", 2),
                     id="err-cast-range-to-str"),
        pytest.param("a=sort(3,x)", Fails("cannot sort values of different types", 2),
                     id="err-sort-mixed"),
        pytest.param("a=sort([1],reverse=x)", Fails("reverse=true or reverse=false", 2),
                     id="err-sort-reverse-word"),
        pytest.param("a=choice(choice(1,2))", Fails("cannot hold another choice()", 2),
                     id="err-choice-of-choice"),
        pytest.param("a=glob(1)", Fails("glob() include takes patterns", 7),
                     id="err-glob-number"),
        pytest.param("a=[glob(*)]", Fails("cannot be an item of a list", 3, hint=True),
                     id="err-glob-in-list"),
        pytest.param("a=interval(2,1)", Fails("the start must be smaller", 2),
                     id="err-interval-empty"),
        pytest.param("a=interval(0,x)", Fails("interval() takes numbers, not 'x'", 13),
                     id="err-interval-word"),
        pytest.param("a=tag(log,interval(0,1))", Fails("a log interval needs a positive", 2),
                     id="err-interval-log-from-zero"),
        pytest.param("a=tag(log,1)", Fails("last argument of tag() must be", 2),
                     id="err-tag-without-sweep"),
        pytest.param("~a=range(1,3)", Fails("'~key' takes no sweep", 3), id="err-delete-range"),
    ]),
]
CASES = [case for _, cases in SECTIONS for case in cases]


@pytest.mark.parametrize("argument, expected", CASES)
def test_grammar(argument: str, expected: Any) -> None:
    if isinstance(expected, Fails):
        with pytest.raises(OverrideSyntaxError) as caught:
            parse_override(argument, index=4)
        error = caught.value
        assert expected.reason in error.reason
        assert (error.index, error.argument, error.column) == (4, argument, expected.column)
        assert bool(error.hint) == expected.hint, error.hint
        assert error.exit_code == 2
        lines = str(error).splitlines()
        assert lines[0] == f"argument 4: {error.reason}"
        assert lines[1:3] == [f"    {argument}", "    " + " " * expected.column + "^"]
        return
    override = parse_override(argument)
    assert override == expected
    assert override.text == argument
    assert parse_override(format_override(override)) == override


def test_every_case_has_its_own_id() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)) >= 80


# ------------------------------------------------------------------ the table in the docs

def _code(text: str) -> str:
    """A Markdown code span that survives backticks and table pipes."""
    text = text.replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def describe(expected: Any) -> str:
    """The 'result' column: what the argument does, with Python reprs of the values."""
    if isinstance(expected, Fails):
        return f"error at column {expected.column}: {expected.reason}" + (
            " (+ hint: quote the value)" if expected.hint else "")
    key = _code(expected.key)
    values = ", ".join(_code(repr(v)) for v in expected.values)
    kind = expected.kind
    if kind is OverrideKind.DELETE:
        return f"delete {key}" + (f" if it equals {values}" if expected.values else "")
    order = " in an order drawn from `mlxp.sweeper.seed`" if expected.shuffle else ""
    first = expected.values[0]
    if isinstance(first, Glob):
        values = f"the options of group {key} that {_code(format_value(first))} selects"
    elif isinstance(first, Interval):
        how = ("integers" if first.integer else "floats") + (
            " log-uniformly" if first.log else "")
        values = (f"`mlxp.sweeper.samples` {how} drawn from"
                  f" {_code(f'[{first.start!r}, {first.end!r}' + (']' if first.integer else ')'))}")
    if expected.is_sweep:
        how = {"set": "", "add": " (adding the key)", "force": " (adding or setting the key)"}
        return f"sweep {key} over {values}{order}{how[kind.value]}"
    verb = {"set": "set {} to", "add": "add {} with value", "force": "add or set {} to"}[kind.value]
    return f"{verb.format(key)} {values}{order}"


def render_tables() -> str:
    """The Markdown of every section's table, as the docs page holds it."""
    blocks = []
    for title, cases in SECTIONS:
        rows = [f"| {_code(case.values[0])} | {describe(case.values[1])} |" for case in cases]
        blocks.append("\n".join([f"### {title}", "", "| argument | result |", "|---|---|", *rows]))
    return "\n\n".join(blocks)


def test_docs_table_is_this_table() -> None:
    page = DOC.read_text(encoding="utf-8")
    assert TABLE_START in page and TABLE_END in page, f"{DOC} lost its table markers"
    inside = page.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0].strip()
    assert inside == render_tables(), "run: python docs/update_grammar_table.py"


# ------------------------------------------------------------------ beyond the table

@pytest.mark.parametrize("depth", [101, 3000])
def test_nesting_is_bounded(depth: int) -> None:
    argument = "a=" + "[" * depth + "]" * depth
    with pytest.raises(OverrideSyntaxError) as caught:
        parse_override(argument)
    assert "nest deeper than 100 levels" in caught.value.reason
    assert caught.value.column == 102  # the bracket that opens level 101


def test_nesting_up_to_the_bound_is_fine() -> None:
    nested: Any = []
    for _ in range(99):
        nested = [nested]
    assert parse_override("a=" + "[" * 100 + "]" * 100).value == nested
    value = parse_override("a=" + "{k:" * 99 + "[]" + "}" * 99).value
    for _ in range(99):
        value = value["k"]
    assert value == []


def test_parse_overrides_numbers_arguments_from_one() -> None:
    assert parse_overrides(["a=1", "b=x"]) == [one(SET, "a", 1), one(SET, "b", "x")]
    with pytest.raises(OverrideSyntaxError) as caught:
        parse_overrides(["a=1", "b=[1"])
    assert caught.value.index == 2 and str(caught.value).startswith("argument 2: ")
    with pytest.raises(OverrideSyntaxError) as caught:
        parse_overrides(["b=[1"], start=5)
    assert caught.value.index == 5


def test_parse_overrides_refuses_a_single_string() -> None:
    with pytest.raises(TypeError):
        parse_overrides("a=1")  # type: ignore[arg-type]


def test_hint_names_the_argument_with_its_prefix() -> None:
    with pytest.raises(OverrideSyntaxError) as caught:
        parse_override("+data.devices=[0,1")
    assert caught.value.hint == (
        "to pass a comma or bracket literally, quote the value: +data.devices='...'")
    assert str(caught.value).endswith("\n  " + caught.value.hint)


def test_errors_are_override_errors_and_value_errors() -> None:
    with pytest.raises(ValueError):
        parse_override("a=[")
    with pytest.raises(OverrideError):
        parse_override("a=[")


@pytest.mark.parametrize(
    "left, right",
    [
        pytest.param(one(SET, "a", 1), one(SET, "a", 1.0), id="int-vs-float"),
        pytest.param(one(SET, "a", 1), one(SET, "a", True), id="int-vs-bool"),
        pytest.param(one(SET, "a", "1"), one(SET, "a", 1), id="str-vs-int"),
        pytest.param(one(SET, "a", 0.0), one(SET, "a", -0.0), id="zero-vs-negative-zero"),
        pytest.param(one(SET, "a", [1]), one(SET, "a", [True]), id="inside-lists"),
        pytest.param(one(SET, "a", 1), one(ADD, "a", 1), id="kind"),
        pytest.param(one(SET, "a", 1), sweep(SET, "a", 1), id="sweep-of-one-vs-value"),
    ],
)
def test_equality_is_strict_about_types(left: Override, right: Override) -> None:
    assert left != right


def test_equality_ignores_spelling_and_handles_lists_dicts_nan() -> None:
    assert parse_override("a=10.") == parse_override("a=10.0") == one(SET, "a", 10.0)
    assert parse_override("a={x: [1], y: 2}") == parse_override("a={y: 2, x: [1]}")
    assert parse_override("a=nan") == parse_override("a=NaN")
    assert len({parse_override("a=[1,2]"), parse_override("a=[1, 2]")}) == 1
    assert one(SET, "a", 1) != "a=1"


def test_kind_compares_with_its_name() -> None:
    assert parse_override("++a=1").kind == "force" == OverrideKind.FORCE
    assert one("add", "a", 1).kind is OverrideKind.ADD


def test_value_is_a_fresh_copy_of_lists_and_mappings() -> None:
    override = parse_override("a={k: [1, 2]}")
    copy = override.value
    copy["k"].append(3)
    assert override.value == {"k": [1, 2]}
    assert override.values == ({"k": [1, 2]},)


@pytest.mark.parametrize("argument", ["a=1,2", "~a", "a=choice(1)"])
def test_value_needs_a_single_value(argument: str) -> None:
    with pytest.raises(OverrideError):
        parse_override(argument).value  # noqa: B018


def test_expand_keeps_the_users_spelling_of_each_value() -> None:
    points = parse_override("+lr=10., 1e-3 ,'a,b'").expand()
    assert [p.text for p in points] == ["+lr=10.", "+lr=1e-3", "+lr='a,b'"]
    assert points == (one(ADD, "lr", 10.0), one(ADD, "lr", 0.001), one(ADD, "lr", "a,b"))
    assert [p.text for p in parse_override("a=range(0,1,0.5)").expand()] == ["a=0.0", "a=0.5"]
    single = parse_override("a=1")
    assert single.expand() == (single,)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param(("set", "a", ()), id="set-without-value"),
        pytest.param(("set", "a", (1, 2)), id="several-values-not-a-sweep"),
        pytest.param(("delete", "a", (1, 2)), id="delete-several"),
        pytest.param(("delete", "a", (1,), True), id="delete-sweep"),
        pytest.param(("set", "a", (), True), id="empty-sweep"),
        pytest.param(("set", "a", (1, 2), True, "", ("1",)), id="spellings-mismatch"),
        pytest.param(("reset", "a", (1,)), id="unknown-kind"),
    ],
)
def test_inconsistent_overrides_cannot_be_built(fields: tuple) -> None:
    with pytest.raises(ValueError):
        Override(*fields)


def test_a_built_override_gets_its_text() -> None:
    assert Override("force", "a.b", ([1, "x y"],)).text == "++a.b=[1,'x y']"
    assert sweep(SET, "a", "b").text == "a=choice(b)"
    assert Override("delete", "a").text == "~a"


@pytest.mark.parametrize(
    "value, text",
    [
        pytest.param(1.0, "1.0", id="float"),
        pytest.param(1e-5, "1e-05", id="small-float"),
        pytest.param(-math.inf, "-inf", id="minus-infinity"),
        pytest.param(math.nan, "nan", id="nan"),
        pytest.param(None, "null", id="none"),
        pytest.param(False, "false", id="false"),
        pytest.param("cpu", "cpu", id="plain-word"),
        pytest.param("http://x:8/a", "http://x:8/a", id="url-unquoted"),
        pytest.param("1", "'1'", id="numeric-string"),
        pytest.param("null", "'null'", id="null-string"),
        pytest.param("NuLL", "'NuLL'", id="null-any-case-string"),
        pytest.param("trUe", "'trUe'", id="bool-any-case-string"),
        pytest.param("inf", "'inf'", id="inf-string"),
        pytest.param("1_000", "'1_000'", id="underscore-number-string"),
        pytest.param("yes", "yes", id="yes-needs-no-quotes"),
        pytest.param("0x1f", "0x1f", id="hex-needs-no-quotes"),
        pytest.param(".inf", ".inf", id="dot-inf-needs-no-quotes"),
        pytest.param("~", "~", id="tilde-needs-no-quotes"),
        pytest.param("", "''", id="empty-string"),
        pytest.param("a,b", "'a,b'", id="comma"),
        pytest.param("it's", '"it\'s"', id="apostrophe-uses-double-quotes"),
        pytest.param("'\"", "'\\'\"'", id="both-quotes"),
        pytest.param("a\\b", "'a\\\\b'", id="backslash"),
        pytest.param("two words", "'two words'", id="space"),
        pytest.param("${x}", "'${x}'", id="interpolation"),
        pytest.param((1, "a"), "[1,a]", id="tuple-as-list"),
        pytest.param({"a:b": 1, 2: [None]}, "{'a:b':1,2:[null]}", id="mapping"),
    ],
)
def test_format_value(value: Any, text: str) -> None:
    assert format_value(value) == text


@pytest.mark.parametrize("value", [object(), {(1, 2): 3}, {1, 2}, b"bytes"])
def test_format_value_refuses_what_the_grammar_cannot_write(value: Any) -> None:
    with pytest.raises(TypeError):
        format_value(value)


def test_format_override_writes_canonical_text() -> None:
    assert format_override(parse_override("optimizer.lr=1.")) == "optimizer.lr=1.0"
    assert format_override(parse_override("a=range(1,3)")) == "a=1,2"
    assert format_override(parse_override("~a.b= x ")) == "~a.b=x"
    assert format_override(parse_override("+a=choice( 'x' )")) == "+a=choice(x)"
