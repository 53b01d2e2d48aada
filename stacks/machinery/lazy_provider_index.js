"use strict";
// Loaded into the jsii Node process with NODE_OPTIONS=--require (see stacks/machinery/framework.py).
//
// @cdktf/provider-aws/lib/index.js requires all ~2,200 resource modules (about 1.7 s and 450 MB in Node) although a
// synth uses a few dozen. This hook serves that one file as an object of lazy getters: a submodule is required on
// first access, which is how the jsii kernel reaches a class ("@cdktf/provider-aws.vpc.Vpc" -> exports.vpc.Vpc).
// CDK Terrain's @cdktn/provider-aws has the same index, each line wrapped in TypeScript's __importStar helper
// (`exports.vpc = __importStar(require("./vpc/index"));`); its getter applies the same helper's rule.
// If the file does not look exactly as expected (a provider upgrade), the normal loader runs unchanged.
const Module = require("module");
const fs = require("fs");
const path = require("path");

const INDEXES = ["@cdktf", "@cdktn"].map((scope) => path.join(scope, "provider-aws", "lib", "index.js"));
const REEXPORT = /^exports\.([A-Za-z_$][\w$]*) = (__importStar\()?require\("(\.\/[^"]+)"\)(\))?;$/gm;
const DECLARED = /exports\.([A-Za-z_$][\w$]*) = (?=exports\.|void 0;)/g;

// TypeScript's __importStar: an ES module (every generated provider module) as it is, anything else as a namespace
// object with the module as its default export.
function importStar(value) {
  if (value && value.__esModule) return value;
  const namespace = {};
  if (value != null) {
    for (const key of Object.getOwnPropertyNames(value)) {
      if (key !== "default") Object.defineProperty(namespace, key, { enumerable: true, get: () => value[key] });
    }
  }
  Object.defineProperty(namespace, "default", { enumerable: true, value });
  return namespace;
}

function lazyExports(filename, parent) {
  const source = fs.readFileSync(filename, "utf8");
  const reexports = [...source.matchAll(REEXPORT)].filter(([, , opened, , closed]) => !opened === !closed);
  const declared = new Set([...source.matchAll(DECLARED)].map((match) => match[1]));
  const covered = reexports.length > 0 && reexports.length === declared.size && reexports.every(([, name]) => declared.has(name));
  if (!covered) return undefined;
  const module = new Module(filename, parent);
  module.filename = filename;
  module.paths = Module._nodeModulePaths(path.dirname(filename));
  Object.defineProperty(module.exports, "__esModule", { value: true });
  for (const [, name, wrapped, request] of reexports) {
    Object.defineProperty(module.exports, name, {
      configurable: true,
      enumerable: true,
      get() {
        const required = module.require(request);
        const value = wrapped ? importStar(required) : required;
        Object.defineProperty(module.exports, name, { value, configurable: true, enumerable: true, writable: true });
        return value;
      },
    });
  }
  module.loaded = true;
  return module;
}

const load = Module._load;
Module._load = function (request, parent, isMain) {
  let filename;
  try {
    filename = Module._resolveFilename(request, parent, isMain);
  } catch {
    return load.apply(this, arguments);
  }
  if (INDEXES.some((index) => filename.endsWith(index)) && !Module._cache[filename]) {
    const module = lazyExports(filename, parent);
    if (module) {
      Module._cache[filename] = module;
      return module.exports;
    }
  }
  return load.apply(this, arguments);
};
