// Vega expressions evaluated without eval, compiled once to closures: `vegaExpressions` is an
// `expr` option for vegaEmbed/vega.View with the interface and the semantics of vega-interpreter
// (Vega 6, BSD-3-Clause, (c) University of Washington Interactive Data Lab), which the page's
// Content-Security-Policy (no 'unsafe-eval') requires. vega-interpreter walks each expression's
// syntax tree on every call, and builds a function table per call, for every channel of every
// mark: at 6,500 areas that was most of the time a chart took to draw. Here each tree becomes
// nested closures once, when the chart is parsed, so a call is a few function calls. The same
// guards apply: members and object values that are Function, eval, setTimeout or setInterval are
// refused. (Vega's parser has already refused any function or name it does not know.)
window.vegaExpressions = (function () {
  "use strict";

  const CONSTANTS = { NaN: NaN, E: Math.E, LN2: Math.LN2, LN10: Math.LN10, LOG2E: Math.LOG2E, LOG10E: Math.LOG10E, PI: Math.PI,
    SQRT1_2: Math.SQRT1_2, SQRT2: Math.SQRT2, MIN_VALUE: Number.MIN_VALUE, MAX_VALUE: Number.MAX_VALUE };
  const BINARY = { "*": (a, b) => a * b, "+": (a, b) => a + b, "-": (a, b) => a - b, "/": (a, b) => a / b, "%": (a, b) => a % b,
    ">": (a, b) => a > b, "<": (a, b) => a < b, "<=": (a, b) => a <= b, ">=": (a, b) => a >= b, "==": (a, b) => a == b,
    "!=": (a, b) => a != b, "===": (a, b) => a === b, "!==": (a, b) => a !== b, "&": (a, b) => a & b, "|": (a, b) => a | b,
    "^": (a, b) => a ^ b, "<<": (a, b) => a << b, ">>": (a, b) => a >> b, ">>>": (a, b) => a >>> b };
  const UNARY = { "+": (a) => +a, "-": (a) => -a, "~": (a) => ~a, "!": (a) => !a };
  const method = (name, as) => function (target) {
    const self = as ? as(target) : target;
    return self[name].apply(self, Array.prototype.slice.call(arguments, 1));
  };
  const onDate = (name) => (x) => new Date(x)[name]();
  // the functions vega-interpreter adds to Vega's own, defined as it defines them
  const BUILT_IN = { isNaN: Number.isNaN, isFinite: Number.isFinite, clamp: (x, lo, hi) => Math.max(lo, Math.min(hi, x)),
    now: Date.now, utc: Date.UTC, length: (x) => x.length, reverse: (x) => x.slice().reverse(),
    datetime: (y, m = 0, d = 1, h = 0, min = 0, sec = 0, ms = 0) => typeof y === "string" ? new Date(y) : new Date(y, m, d, h, min, sec, ms),
    join: method("join"), indexof: method("indexOf"), lastindexof: method("lastIndexOf"), slice: method("slice"),
    substring: method("substring", String), split: method("split", String), replace: method("replace", String),
    parseFloat: parseFloat, parseInt: parseInt, upper: (x) => String(x).toUpperCase(), lower: (x) => String(x).toLowerCase(),
    trim: (x) => String(x).trim(), btoa: (x) => btoa(x), atob: (x) => atob(x), regexp: RegExp, test: (re, x) => RegExp(re).test(x) };
  for (const name of ["abs", "acos", "asin", "atan", "atan2", "ceil", "cos", "exp", "floor", "log", "max", "min", "pow", "random",
    "round", "sin", "sqrt", "tan"]) BUILT_IN[name] = Math[name];
  for (const [name, getter] of Object.entries({ date: "getDate", day: "getDay", year: "getFullYear", month: "getMonth",
    hours: "getHours", minutes: "getMinutes", seconds: "getSeconds", milliseconds: "getMilliseconds", time: "getTime",
    timezoneoffset: "getTimezoneOffset" })) {
    BUILT_IN[name] = onDate(getter);
    if (name !== "time" && name !== "timezoneoffset") BUILT_IN["utc" + name] = onDate(getter.replace("get", "getUTC"));
  }
  const EVENT_FUNCTIONS = new Set(["view", "item", "group", "xy", "x", "y"]); // the event's own, as in vega-interpreter
  const FORBIDDEN = new Set([Function, eval, setTimeout, setInterval]);

  const unsupported = (what) => new Error("The page's Vega expressions cannot evaluate " + what);

  function allowed(value, name) {
    if (!FORBIDDEN.has(value)) return value;
    console.error("Prevented interpretation of \"" + name + "\" which could lead to insecure code execution");
    return undefined;
  }

  // One syntax tree as a closure of (datum, params, event, item).
  function compile(node, functions) {
    const sub = (child) => compile(child, functions);
    switch (node.type) {
      case "Literal": { const value = node.value; return () => value; }
      case "Identifier": {
        const name = node.name, constant = CONSTANTS[name], key = "$" + name;
        if (name === "datum") return (d) => d;
        if (name === "event") return (d, p, e) => e;
        if (name === "item") return (d, p, e, i) => i;
        return constant ? () => constant : (d, p) => p[key];
      }
      case "MemberExpression": {
        const object = sub(node.object);
        if (!node.computed) {
          const name = node.property.name;
          return (d, p, e, i) => allowed(object(d, p, e, i)[name], name);
        }
        const property = sub(node.property);
        return function (d, p, e, i) { const target = object(d, p, e, i), name = property(d, p, e, i); return allowed(target[name], name); };
      }
      case "CallExpression": {
        const name = node.callee.name.replace(/^_/, "");
        const args = node.arguments.map(sub);
        if (name === "if") {
          const [test, then, otherwise] = args;
          return (d, p, e, i) => test(d, p, e, i) ? then(d, p, e, i) : otherwise(d, p, e, i);
        }
        if (EVENT_FUNCTIONS.has(name)) return (d, p, e, i) => e.vega[name].apply(e.vega, args.map((a) => a(d, p, e, i)));
        const fn = functions[name] || BUILT_IN[name];
        if (!fn) throw unsupported("the function " + name);
        if (args.length === 1) { const [a] = args; return (d, p, e, i) => fn.call(functions, a(d, p, e, i)); }
        if (args.length === 2) { const [a, b] = args; return (d, p, e, i) => fn.call(functions, a(d, p, e, i), b(d, p, e, i)); }
        return (d, p, e, i) => fn.apply(functions, args.map((a) => a(d, p, e, i)));
      }
      case "ArrayExpression": { const items = node.elements.map(sub); return (d, p, e, i) => items.map((a) => a(d, p, e, i)); }
      case "BinaryExpression": {
        const op = BINARY[node.operator], left = sub(node.left), right = sub(node.right);
        if (!op) throw unsupported("the operator " + node.operator);
        return (d, p, e, i) => op(left(d, p, e, i), right(d, p, e, i));
      }
      case "UnaryExpression": {
        const op = UNARY[node.operator], argument = sub(node.argument);
        if (!op) throw unsupported("the operator " + node.operator);
        return (d, p, e, i) => op(argument(d, p, e, i));
      }
      case "ConditionalExpression": {
        const test = sub(node.test), then = sub(node.consequent), otherwise = sub(node.alternate);
        return (d, p, e, i) => test(d, p, e, i) ? then(d, p, e, i) : otherwise(d, p, e, i);
      }
      case "LogicalExpression": {
        const left = sub(node.left), right = sub(node.right);
        return node.operator === "&&" ? (d, p, e, i) => left(d, p, e, i) && right(d, p, e, i)
          : (d, p, e, i) => left(d, p, e, i) || right(d, p, e, i);
      }
      case "ObjectExpression": {
        const entries = node.properties.map((property) => [property.key.type === "Identifier" ? property.key.name : property.key.value,
          sub(property.value)]);
        return function (d, p, e, i) {
          const object = {};
          for (const [key, value] of entries) {
            const v = value(d, p, e, i);
            if (FORBIDDEN.has(v)) allowed(v, key); else object[key] = v;
          }
          return object;
        };
      }
      default: throw unsupported(node.type);
    }
  }

  // a mark's geometry from x2/xc/y2/yc, as vega-interpreter's encode does (and Vega's generated code)
  function geometry(item, channels, swap) {
    let t;
    if (channels.x2) {
      if (channels.x) { if (swap && item.x > item.x2) { t = item.x; item.x = item.x2; item.x2 = t; } item.width = item.x2 - item.x; }
      else item.x = item.x2 - (item.width || 0);
    }
    if (channels.xc) item.x = item.xc - (item.width || 0) / 2;
    if (channels.y2) {
      if (channels.y) { if (swap && item.y > item.y2) { t = item.y; item.y = item.y2; item.y2 = t; } item.height = item.y2 - item.y; }
      else item.y = item.y2 - (item.height || 0);
    }
    if (channels.yc) item.y = item.yc - (item.height || 0) / 2;
  }

  return {
    operator(context, spec) { const f = compile(spec.ast, context.functions); return (p) => f(undefined, p); },
    parameter(context, spec) { const f = compile(spec.ast, context.functions); return (d, p) => f(d, p); },
    event(context, spec) { const f = compile(spec.ast, context.functions); return (e) => f(undefined, undefined, e); },
    handler(context, spec) { const f = compile(spec.ast, context.functions); return (p, e) => f(e.item && e.item.datum, p, e); },
    encode(context, spec) {
      const channels = spec.channels, names = Object.keys(channels);
      const encoders = names.map((name) => compile(channels[name].ast, context.functions));
      const swap = spec.marktype === "group" || spec.marktype === "image" || spec.marktype === "rect";
      const rule = spec.marktype === "rule";
      return function (item, p) {
        const d = item.datum;
        let changed = 0;
        for (let k = 0; k < names.length; k++) {
          const value = encoders[k](d, p, undefined, item);
          if (item[names[k]] !== value) { item[names[k]] = value; changed = 1; }
        }
        if (!rule) geometry(item, channels, swap);
        return changed;
      };
    },
  };
})();
document.dispatchEvent(new Event("vega-ready")); // Vega and its evaluator are defined: a page waiting to draw may begin
