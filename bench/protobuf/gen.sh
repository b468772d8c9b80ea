#!/bin/sh
# The three generators on clearly's .proto, into gen/ (not committed). Run after `npm install` here.
set -e
cd "$(dirname "$0")"
rm -rf gen && mkdir -p gen/pbjs
npx pbjs -t static-module -w commonjs --keep-case --force-number --no-verify --no-delimited --no-comments \
  -o gen/pbjs/clearly.cjs ../../proto/clearly/v1/clearly.proto
npx pbts -o gen/pbjs/clearly.d.ts gen/pbjs/clearly.cjs
npx buf generate
# ts-proto emits TypeScript: compile it to JS (esbuild, from clearly's own devDependencies).
for f in $(find gen/ts-proto -name '*.ts'); do
  ../../node_modules/.bin/esbuild "$f" --format=esm --outfile="${f%.ts}.js" --log-level=warning
done
find gen -name '*.js' -o -name '*.cjs' | xargs wc -c
