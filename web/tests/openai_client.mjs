// web/tests/openai_client.mjs — headstart-cloud through the official `openai` npm client (a real client,
// not our own): it lists models, answers whole and streamed (with usage), completes in prefill mode,
// and its 404 / 400 errors come back as the client's typed errors. The cloud is the built binary on a
// free port with the reference continuator and the shipped corpus.
//   NODE_PATH=.deps/web/node_modules node web/tests/openai_client.mjs \
//     --cloud build/native/cloud/headstart-cloud --references assets/reference/answers.jsonl.gz
import path from 'node:path';
import { checks, cliArgs, nodeModule, root } from '../harness.mjs';
import { startCloudProcess } from './cloud_process.mjs';

const args = cliArgs();
const cloudBin = path.resolve(args.cloud || path.join(root, 'build/native/cloud/headstart-cloud'));
const references = path.resolve(args.references || path.join(root, 'assets/reference/answers.jsonl.gz'));
const OpenAI = nodeModule('openai');
const { check, end } = checks();

function startCloud() {
  return startCloudProcess(cloudBin, ['--port', '0', '--continuator', 'reference', '--references', references,
    '--first-token-ms', '50', '--jitter-ms', '0', '--per-token-ms', '2']);
}

const cloud = await startCloud();
try {
  const client = new OpenAI({ baseURL: `${cloud.url}/v1`, apiKey: 'not-needed', maxRetries: 0, timeout: 20000 });
  const question = 'Can you explain the basics of quantum computing?';
  const messages = [
    { role: 'system', content: 'Continue the answer. Begin with [[continue]], [[pivot]] or [[rewrite]].' },
    { role: 'user', content: question },
    { role: 'assistant', content: 'Quantum computing is a' },
  ];

  const models = await client.models.list();
  check(models.data.some((m) => m.id === 'headstart-cloud'), 'models.list() has headstart-cloud');

  const whole = await client.chat.completions.create({ model: 'headstart-cloud', messages, max_tokens: 40 });
  const text = whole.choices[0].message.content;
  check(text.startsWith('[[continue]] fascinating'), `chat completion continues the opener: ${JSON.stringify(text.slice(0, 60))}`);
  check(whole.usage && whole.usage.completion_tokens > 0 && whole.usage.prompt_tokens > 0 &&
        whole.usage.total_tokens === whole.usage.prompt_tokens + whole.usage.completion_tokens,
        `usage: ${JSON.stringify(whole.usage)}`);

  const stream = await client.chat.completions.create({
    model: 'headstart-cloud', messages, max_tokens: 40, stream: true, stream_options: { include_usage: true } });
  let streamed = '', usage = null, chunks = 0, finish = null;
  for await (const chunk of stream) {
    ++chunks;
    if (chunk.choices.length) {
      streamed += chunk.choices[0].delta?.content ?? '';
      finish = chunk.choices[0].finish_reason ?? finish;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  check(streamed === text, `the stream (${chunks} chunks) carries the same text as the whole answer`);
  check(finish === whole.choices[0].finish_reason, `finish_reason ${finish}`);
  check(usage && usage.completion_tokens === whole.usage.completion_tokens, 'stream_options.include_usage: a usage chunk');

  const prefill = await client.completions.create({
    model: 'headstart-cloud', max_tokens: 40,
    prompt: `<|im_start|>user\n${question}<|im_end|>\n<|im_start|>assistant\nQuantum computing is a` });
  check(prefill.choices[0].text.startsWith(' fascinating'), `completions (prefill) continues: ${JSON.stringify(prefill.choices[0].text.slice(0, 40))}`);
  check(prefill.usage?.completion_tokens > 0, 'completions carry usage');

  try {
    await client.chat.completions.create({ model: 'gpt-9', messages });
    check(false, 'an unknown model is an error');
  } catch (e) {
    check(e instanceof OpenAI.NotFoundError && e.status === 404 && e.code === 'model_not_found', `unknown model: ${e.status} ${e.code}`);
  }
  try {
    await client.chat.completions.create({ model: 'headstart-cloud', messages, temperature: 5 });
    check(false, 'temperature 5 is an error');
  } catch (e) {
    check(e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'temperature', `bad field: ${e.status} ${e.param}`);
  }
  const none = await client.chat.completions.create({
    model: 'headstart-cloud', max_tokens: 60, messages: [{ role: 'user', content: 'What did I have for breakfast on my fifth birthday?' }] });
  check(/don't have an answer to that offline/.test(none.choices[0].message.content), 'no reference: it says so');
} catch (e) {
  check(false, `unexpected: ${e.stack || e}`);
} finally {
  cloud.proc.kill('SIGTERM');
}
end('openai client');
