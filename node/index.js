// The loader of the native addon, in napi-rs's package layout: `oauthbearer.<platform>.node` next to
// this file (a development build), else the optional dependency `oauthbearer-<platform>`.
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

function load() {
  const platform = platformName()
  const tried = []
  if (platform) {
    for (const candidate of [`./oauthbearer.${platform}.node`, `oauthbearer-${platform}`]) {
      let binding
      try {
        binding = require(candidate)
      } catch (e) {
        tried.push(`${candidate}: ${e.code || e.message}`)
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
      return binding
    }
  }
  const error = new Error(
    `oauthbearer has no native addon for ${process.platform}-${process.arch}` +
      (tried.length ? ` (tried ${tried.join('; ')})` : '') +
      `: the npm packages carry native addons for ${PUBLISHED.join(', ')}; on one of those, reinstall ` +
      'without --no-optional / --omit=optional so that npm installs it',
  )
  error.code = 'addon_unavailable'
  throw error
}

module.exports = load()
