/** The methods of clearly.v1.Clearly (proto/clearly/v1/clearly.proto): name, request, response, streaming. */
export const METHODS = [
  ['Capture', 'CaptureRequest', 'CaptureItem', true],
  ['FilterTasks', 'TaskQuery', 'TaskMessage', true],
  ['GetTask', 'GetTaskRequest', 'TaskMessage', false],
  ['FilterWorkers', 'WorkerQuery', 'WorkerMessage', true],
  ['SeenTasks', 'SeenTasksRequest', 'SeenTasksReply', false],
  ['Reset', 'ResetRequest', 'ResetReply', false],
  ['GetStats', 'StatsRequest', 'StatsReply', false],
];

/** grpc-js' client for a service definition built from `codec(type)` = { encode, decode }. */
export function clientWith(grpc, codec, address, options = {}, credentials = grpc.credentials.createInsecure()) {
  const def = {};
  for (const [name, req, res, stream] of METHODS) {
    const q = codec(req);
    const r = codec(res);
    def[name] = {
      path: `/clearly.v1.Clearly/${name}`,
      requestStream: false,
      responseStream: stream,
      requestSerialize: q.encode,
      requestDeserialize: q.decode,
      responseSerialize: r.encode,
      responseDeserialize: r.decode,
      originalName: name.charAt(0).toLowerCase() + name.slice(1),
    };
  }
  const Ctor = grpc.makeGenericClientConstructor(def, 'Clearly');
  return new Ctor(address, credentials, { 'grpc.max_receive_message_length': -1, ...options });
}
