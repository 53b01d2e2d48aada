"use strict";
// Loaded into the jsii Node process with NODE_OPTIONS=--require (see stacks/machinery/framework.py).
//
// @cdktf/provider-aws/lib/index.js requires all ~2,200 resource modules (about 1.7 s and 450 MB in Node) although a
// synth uses a few dozen. This hook serves that one file as an object of lazy getters: a submodule is required on
// first access, which is how the jsii kernel reaches a class ("@cdktf/provider-aws.vpc.Vpc" -> exports.vpc.Vpc).
// If the file does not look exactly as expected (a provider upgrade), the normal loader runs unchanged.
const Module = require("module");
const fs = require("fs");
const path = require("path");

const INDEX = path.join("@cdktf", "provider-aws", "lib", "index.js");
const REEXPORT = /^exports\.([A-Za-z_$][\w$]*) = require\("(\.\/[^"]+)"\);$/gm;
const DECLARED = /exports\.([A-Za-z_$][\w$]*) = (?=exports\.|void 0;)/g;

function lazyExports(filename, parent) {
  const source = fs.readFileSync(filename, "utf8");
  const reexports = [...source.matchAll(REEXPORT)];
  const declared = new Set([...source.matchAll(DECLARED)].map((match) => match[1]));
  const covered = reexports.length > 0 && reexports.length === declared.size && reexports.every(([, name]) => declared.has(name));
  if (!covered) return undefined;
  const module = new Module(filename, parent);
  module.filename = filename;
  module.paths = Module._nodeModulePaths(path.dirname(filename));
  Object.defineProperty(module.exports, "__esModule", { value: true });
  for (const [, name, request] of reexports) {
    Object.defineProperty(module.exports, name, {
      configurable: true,
      enumerable: true,
      get() {
        const value = module.require(request);
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
  if (filename.endsWith(INDEX) && !Module._cache[filename]) {
    const module = lazyExports(filename, parent);
    if (module) {
      Module._cache[filename] = module;
      return module.exports;
    }
  }
  return load.apply(this, arguments);
};
