// A plain JavaScript worker that echoes the request body: the baseline the
// portal's benchmarks compare the Go worker with, in the same workerd.
export default {
  async fetch(request) {
    const body = await request.arrayBuffer();
    return new Response(body, { status: 201, headers: { "Content-Type": "application/json" } });
  },
};
