// Baseline for the memory check: reads stdin chunk by chunk and keeps nothing.
let bytes = 0;
for await (const chunk of process.stdin) bytes += chunk.length;
process.stdout.write(`${bytes}\n`);
