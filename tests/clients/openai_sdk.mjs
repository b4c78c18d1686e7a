// openai_sdk.mjs - drive the public API with the official openai npm
// client, as a program would: node openai_sdk.mjs SCENARIO, with
// PM_BASE_URL (the site's /api/v1) and PM_API_KEY in the environment.
// Prints one JSON document of what the client saw; exits 0 unless the
// scenario itself could not run (the test reads the document).
import OpenAI from "openai";

const client = new OpenAI({
  baseURL: process.env.PM_BASE_URL,
  apiKey: process.env.PM_API_KEY,
  maxRetries: 0,
  timeout: 60000,
});
const model = process.env.PM_MODEL || "openai/gpt-4o-mini";

// A failure as the SDK typed it.
function failure(e) {
  return {
    error: true,
    class: e && e.constructor ? e.constructor.name : typeof e,
    status: e.status ?? null,
    message: e.error?.message ?? e.message,
    type: e.error?.type ?? e.type ?? null,
    param: e.error?.param ?? e.param ?? null,
    code: e.error?.code ?? e.code ?? null,
    retry_after: e.headers?.get ? e.headers.get("retry-after") : null,
  };
}

const scenarios = {
  async complete() {
    const r = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "hello from the sdk" }],
      temperature: 0.2,
      max_tokens: 50,
    });
    return { id: r.id, object: r.object, model: r.model, content: r.choices[0].message.content,
             finish_reason: r.choices[0].finish_reason, usage: r.usage };
  },
  async stream() {
    const s = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "one two three four" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const deltas = [];
    let usage = null, models = new Set(), finish = null;
    for await (const chunk of s) {
      models.add(chunk.model);
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        if (c.delta?.content) deltas.push(c.delta.content);
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    return { deltas, text: deltas.join(""), usage, models: [...models], finish_reason: finish };
  },
  async stream_no_usage() {
    const s = await client.chat.completions.create({
      model, messages: [{ role: "user", content: "a b" }], stream: true,
    });
    let usage = 0, chunks = 0;
    for await (const chunk of s) {
      chunks++;
      if (chunk.usage) usage++;
    }
    return { chunks, usage_chunks: usage };
  },
  async models() {
    const page = await client.models.list();
    const out = [];
    for await (const m of page) out.push({ id: m.id, object: m.object, owned_by: m.owned_by });
    return { models: out };
  },
  async prompt() {
    // a managed prompt: its variables as an extra body field
    const r = await client.chat.completions.create({
      model: "prompt:" + process.env.PM_PROMPT,
      messages: [],
      variables: JSON.parse(process.env.PM_VARIABLES || "{}"),
    });
    return { model: r.model, content: r.choices[0].message.content, usage: r.usage };
  },
  async prompt_stream() {
    const s = await client.chat.completions.create({
      model: "prompt:" + process.env.PM_PROMPT,
      messages: [{ role: "user", content: "and then?" }],
      variables: JSON.parse(process.env.PM_VARIABLES || "{}"),
      stream: true,
    });
    let text = "", models = new Set();
    for await (const chunk of s) {
      models.add(chunk.model);
      for (const c of chunk.choices) if (c.delta?.content) text += c.delta.content;
    }
    return { text, models: [...models] };
  },
  // a function tool: the call comes back as the provider made it, then the
  // tool's result goes back for the final answer
  async tools() {
    const tools = [{ type: "function", function: {
      name: "get_weather", description: "Weather of a city",
      parameters: { type: "object", properties: { input: { type: "string" } } } } }];
    const messages = [{ role: "user", content: "weather in Paris" }];
    const r = await client.chat.completions.create({ model, messages, tools,
      tool_choice: "auto", parallel_tool_calls: false });
    const call = r.choices[0].message.tool_calls[0];
    messages.push(r.choices[0].message,
                  { role: "tool", tool_call_id: call.id, content: "sunny" });
    const r2 = await client.chat.completions.create({ model, messages, tools });
    return { finish_reason: r.choices[0].finish_reason, content: r.choices[0].message.content,
             call, final: r2.choices[0].message.content,
             final_finish: r2.choices[0].finish_reason };
  },
  async tools_stream() {
    const s = await client.chat.completions.create({
      model, stream: true, stream_options: { include_usage: true },
      messages: [{ role: "user", content: "weather in Rome" }],
      tools: [{ type: "function", function: { name: "get_weather", parameters: {} } },
              { type: "function", function: { name: "get_time", parameters: {} } }],
      tool_choice: { type: "function", function: { name: "get_time" } },
    });
    const calls = {};
    let finish = null, pieces = 0, usage = null;
    for await (const chunk of s) {
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        for (const t of c.delta?.tool_calls ?? []) {
          const k = calls[t.index] ??= { id: null, name: "", arguments: "" };
          if (t.id) k.id = t.id;
          if (t.function?.name) k.name += t.function.name;
          if (t.function?.arguments) { k.arguments += t.function.arguments; pieces++; }
        }
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    return { calls: Object.values(calls), pieces, finish_reason: finish, usage };
  },
};

const name = process.argv[2];
let out;
try {
  out = await scenarios[name]();
} catch (e) {
  out = failure(e);
}
process.stdout.write(JSON.stringify(out) + "\n");
