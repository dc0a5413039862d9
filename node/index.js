// The loader of the native addon, in napi-rs's package layout: `oauthbearer.<platform>.node` next to
// this file (a development build), else the optional dependency `oauthbearer-<platform>`. Where none
// loads (macOS, Windows, a CPU or libc with no addon, an install without optional dependencies) it
// loads the same crate built for WebAssembly (`oauthbearer.wasi.cjs`, napi-rs's wasm32-wasip1-threads
// build and loader, shipped in this package): same API, RustCrypto signing, several times slower.
//
// Written here, not generated (`napi build --no-js`): napi-rs's generated loader also loads the file
// that NAPI_RS_NATIVE_LIBRARY_PATH names and switches to WebAssembly on NAPI_RS_FORCE_WASI, so
// whoever sets a process's environment would choose the code that signs its credentials. This one
// reads no environment variable (test/loader.test.mjs).
'use strict'

const { readFileSync } = require('fs')

const { version } = require('./package.json')

// musl or glibc, as napi-rs's loader tells them apart: /usr/bin/ldd's text, else the C library
// Node's diagnostic report names. Its last resort, running `ldd --version`, is left out: it runs
// whatever `ldd` comes first on PATH.
function isMusl() {
  try {
    return readFileSync('/usr/bin/ldd', 'utf-8').includes('musl')
  } catch {
    // no /usr/bin/ldd (e.g. a distroless image): ask the report
  }
  if (!process.report || typeof process.report.getReport !== 'function') return false
  process.report.excludeNetwork = true
  const report = process.report.getReport()
  if (report && report.header && report.header.glibcVersionRuntime) return false
  const objects = (report && report.sharedObjects) || []
  return objects.some((f) => f.includes('libc.musl-') || f.includes('ld-musl-'))
}

// The platform packages `make dist` builds (package.json's napi.targets).
const PUBLISHED = ['linux-x64-gnu', 'linux-arm64-gnu', 'linux-x64-musl', 'linux-arm64-musl']

// This platform by napi-rs's names, where an addon could exist.
function platformName() {
  if (process.platform !== 'linux') return null
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch]
  return arch ? `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}` : null
}

// The WebAssembly build, loaded only when no native addon did.
const WASM = './oauthbearer.wasi.cjs'

// Marks which build answered (`addonTarget` in the package's API): a platform name or 'wasm32-wasi'.
function loaded(binding, target) {
  Object.defineProperty(binding, 'addonTarget', { value: target, enumerable: false })
  return binding
}

function load() {
  const platform = platformName()
  const tried = []
  const broken = []
  if (platform) {
    for (const candidate of [`./oauthbearer.${platform}.node`, `oauthbearer-${platform}`]) {
      let binding
      try {
        binding = require(candidate)
      } catch (e) {
        tried.push(`${candidate}: ${e.code || e.message}`)
        // There but not loadable (a C library too old, a damaged file): said when falling back.
        if (e.code !== 'MODULE_NOT_FOUND') broken.push(`${candidate}: ${String(e.message).split('\n')[0]}`)
        continue
      }
      if (!candidate.startsWith('./')) {
        const found = require(`${candidate}/package.json`).version
        if (found !== version) {
          const error = new Error(`${candidate} is version ${found}, oauthbearer is ${version}: install the same version of both`)
          error.code = 'addon_version_mismatch'
          throw error
        }
      }
      return loaded(binding, platform)
    }
  }
  // Node 20-22 flag `node:wasi` (which napi-rs's loader uses) as experimental and print a warning on
  // stderr of every process that loads it; it is this package's detail, not the application's, so
  // that one warning is held back while the build loads (README: "Platforms without an addon").
  const emitWarning = process.emitWarning
  process.emitWarning = function (warning, ...rest) {
    if (String(warning).startsWith('WASI is an experimental feature')) return
    return emitWarning.call(this, warning, ...rest)
  }
  let binding
  try {
    binding = loaded(require(WASM), 'wasm32-wasi')
  } catch (e) {
    // The message's first line: which module was missing (this file, or the runtime it needs).
    tried.push(`${WASM}: ${String(e.message).split('\n')[0]}`)
  } finally {
    process.emitWarning = emitWarning
  }
  if (binding) {
    if (broken.length) {
      process.emitWarning(`the native addon did not load (${broken.join('; ')}): oauthbearer runs on its ` +
        'WebAssembly build, several times slower; reinstall the package for this platform', {
        code: 'OAUTHBEARER_ADDON_FALLBACK',
      })
    }
    return binding
  }
  const error = new Error(
    `oauthbearer has no native addon for ${process.platform}-${process.arch} and its WebAssembly build ` +
      `did not load (tried ${tried.join('; ')}): the npm packages carry native addons for ` +
      `${PUBLISHED.join(', ')}; on one of those, reinstall without --no-optional / --omit=optional so that ` +
      'npm installs it; elsewhere the WebAssembly build needs Node >= 20 and @napi-rs/wasm-runtime',
  )
  error.code = 'addon_unavailable'
  throw error
}

module.exports = load()
