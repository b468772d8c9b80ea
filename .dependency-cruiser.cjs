/**
 * The import rules of ARCHITECTURE.md, checked by `npm test` (its pretest runs `npm run lint:deps`).
 * A rule that blocks a change is a design question: the layers below are the data flow
 * (broker -> decode -> state -> dispatch -> format) written down.
 *
 * Inside src/engine/, from the bottom: repr/ and events/ import nothing of the engine; model.ts
 * imports events/; table/ imports model.ts; state/ imports table/ (its storage); pipeline.ts imports
 * state/; simulate/ (a cluster in this process, for the demo and the load generator) imports only
 * events/ and is used only by session.ts. On the I/O side: broker/ imports events/; control/ imports broker/; health/ imports
 * control/; backend/ and store/ import the pure layers and broker/; session.ts (a broker session
 * feeding a pipeline) sits above them; grpc/ above that; server/ (the collector) at the top.
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */
const ENGINE = '^src/engine/';
const IO_LIBRARIES = '(^|/)node_modules/(amqplib|ioredis|@grpc/[^/]+|pg|pg-pool|better-sqlite3|prom-client)/';
const TRANSPORT_FILE = '^src/engine/[^/]+/(amqp|redis|sqlite|postgres)[^/]*\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import circles, type-only imports included: the file that owns a type declares it.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'engine-knows-no-outside',
      comment: 'The engine produces what format renders and the CLI runs: it imports neither.',
      severity: 'error',
      from: { path: ENGINE },
      to: { path: '^(src/(format|cli|commands)/|bin/)' },
    },
    {
      name: 'format-knows-no-cli',
      comment: 'Formatting only renders: it knows no flags, no commands, no CLI plumbing.',
      severity: 'error',
      from: { path: '^src/format/' },
      to: { path: '^(src/(cli|commands)/|bin/)' },
    },
    {
      name: 'cli-knows-no-commands',
      comment: 'src/cli/ is the plumbing the commands share; a command is never imported by it.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^(src/commands/|bin/)' },
    },
    {
      name: 'transports-behind-their-folder',
      comment:
        'A transport file (amqp*.ts, redis*.ts) is reached through its folder\'s neutral file and chooser ' +
        '(e.g. broker/open-source.ts), never directly from another folder.',
      severity: 'error',
      from: { path: '^(src/engine/[^/]+/)(?!amqp|redis|sqlite|postgres)' },
      to: { path: TRANSPORT_FILE, pathNot: '^$1' },
    },
    {
      name: 'transports-behind-their-folder-from-the-root',
      comment:
        'The files at the engine\'s root (model.ts, pipeline.ts, session.ts) belong to no folder: ' +
        'they reach a transport through its folder\'s chooser too (session.ts -> broker/open-source.ts).',
      severity: 'error',
      from: { path: '^src/engine/[^/]+\\.ts$' },
      to: { path: TRANSPORT_FILE },
    },
    {
      name: 'transports-share-only-their-own-kind',
      comment: 'A transport file may use the broker\'s connection helpers of its own kind (control/redis.ts -> broker/redis-connect.ts).',
      severity: 'error',
      from: { path: '^(src/engine/[^/]+/)(amqp|redis|sqlite|postgres)' },
      to: { path: TRANSPORT_FILE, pathNot: ['^$1', '^src/engine/[^/]+/$2'] },
    },
    {
      name: 'transports-only-from-the-engine',
      comment: 'Outside the engine, a broker is reached through the neutral files only.',
      severity: 'error',
      from: { pathNot: ENGINE },
      to: { path: TRANSPORT_FILE },
    },
    {
      name: 'repr-and-events-are-leaves',
      comment: 'Parsing reprs and decoding events need nothing else of the engine.',
      severity: 'error',
      from: { path: '^src/engine/(repr|events|redact)/' },
      to: { path: ENGINE, pathNot: '^src/engine/$1/' },
    },
    {
      name: 'simulate-is-a-source',
      comment:
        'The simulated cluster (clearly demo, the load generator) makes raw messages as a broker would: ' +
        'it needs only the raw message type of events/, and only session.ts and the benchmarks feed a pipeline from it.',
      severity: 'error',
      from: { path: '^src/engine/simulate/' },
      to: { path: ENGINE, pathNot: '^src/engine/(simulate|events)/' },
    },
    {
      name: 'simulate-only-from-session',
      severity: 'error',
      from: { path: ENGINE, pathNot: '^src/engine/(simulate/|session\\.ts$)' },
      to: { path: '^src/engine/simulate/' },
    },
    {
      name: 'model-knows-only-events',
      severity: 'error',
      from: { path: '^src/engine/model\\.ts$' },
      to: { path: ENGINE, pathNot: '^src/engine/events/' },
    },
    {
      name: 'table-below-state',
      comment: 'The task table stores and scans tasks; the reducer that fills it (state/) sits above it.',
      severity: 'error',
      from: { path: '^src/engine/table/' },
      to: { path: '^src/engine/(state|broker|control|backend|health|grpc|store|metrics|tap)/|^src/engine/pipeline\\.ts$' },
    },
    {
      name: 'state-is-a-pure-reducer',
      comment: 'The reducer does no I/O and waits on nothing: no broker, control, backend, store, gRPC.',
      severity: 'error',
      from: { path: '^src/engine/state/' },
      to: { path: '^src/engine/(broker|control|backend|health|grpc|store|metrics|tap)/|^src/engine/pipeline\\.ts$' },
    },
    {
      name: 'broker-below-control',
      comment: 'Broker I/O hands raw messages on; it knows nothing of what is built from them.',
      severity: 'error',
      from: { path: '^src/engine/broker/' },
      to: { path: '^src/engine/(control|state|table|backend|health|grpc|store|metrics|tap|repr)/|^src/engine/(pipeline|model)\\.ts$' },
    },
    {
      name: 'grpc-near-the-top',
      comment: 'The gRPC contract, service and dispatch use the rest of the engine; only server/ uses them.',
      severity: 'error',
      from: { path: ENGINE, pathNot: '^src/engine/(grpc|server)/' },
      to: { path: '^src/engine/grpc/' },
    },
    {
      name: 'server-is-the-top',
      comment: 'server/ puts the collector together; only the server command uses it.',
      severity: 'error',
      from: { path: ENGINE, pathNot: '^src/engine/server/' },
      to: { path: '^src/engine/server/' },
    },
    {
      name: 'session-above-the-pure-layers',
      comment: 'session.ts opens a broker; the pure layers and the broker itself never use it.',
      severity: 'error',
      from: { path: '^src/engine/(repr|events|redact|table|state|broker|control|health|diagnose)/|^src/engine/(model|pipeline)\\.ts$' },
      to: { path: '^src/engine/session\\.ts$' },
    },
    {
      name: 'io-at-the-edges',
      comment: 'Broker, database, network and metrics libraries only in the engine\'s I/O folders and the CLI.',
      severity: 'error',
      from: { path: '^src/(engine/(repr|events|redact|state|table|health|simulate|aggregate|diagnose|tap)/|engine/metrics/(?!prom-)|engine/(model|pipeline)\\.ts$|format/)' },
      to: { path: IO_LIBRARIES },
    },
    {
      name: 'aggregate-is-a-leaf',
      comment: 'Aggregations read TaskSamples, a shape of their own: nothing else of the engine, no I/O.',
      severity: 'error',
      from: { path: '^src/engine/aggregate/' },
      to: { path: ENGINE, pathNot: '^src/engine/aggregate/' },
    },
    {
      name: 'aggregate-does-no-io',
      severity: 'error',
      from: { path: '^src/engine/aggregate/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'metrics-reads-only-changes',
      comment:
        'metrics/ turns the reducer\'s changes into metric updates: it knows the model and the events, ' +
        'nothing that does I/O or stores (the collector in server/ feeds it and serves it).',
      severity: 'error',
      from: { path: '^src/engine/metrics/' },
      to: { path: ENGINE, pathNot: '^src/engine/(metrics|events)/|^src/engine/model\\.ts$' },
    },
    {
      name: 'metrics-pure-but-its-exposition',
      comment: 'Only metrics/prom-*.ts (the exposition edge) may use prom-client; the rest of metrics/ does no I/O.',
      severity: 'error',
      from: { path: '^src/engine/metrics/', pathNot: '^src/engine/metrics/prom-[^/]+\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'prom-client-at-the-edge',
      comment: 'prom-client renders the exposition; nothing else builds on it (the event path never touches it).',
      severity: 'error',
      from: { pathNot: '^src/engine/metrics/prom-[^/]+\\.ts$' },
      to: { path: '(^|/)node_modules/prom-client/' },
    },
    {
      name: 'http-listener-in-server',
      comment: "The HTTP listener (/metrics, /health) is an edge of the server: only server/ serves HTTP.",
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/engine/server/' },
      to: { path: '^(node:)?https?$', dependencyTypes: ['core'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // The generator comparison (bench/protobuf/README.md) has its own packages and generated code; not part of clearly.
    exclude: { path: '^bench/protobuf/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
