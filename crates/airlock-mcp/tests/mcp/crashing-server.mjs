// A minimal MCP server on stdio for the gateway's tests: it answers the
// handshake and tools/list, and exits without answering any tools/call,
// as a server that crashes in the middle of a call would.
import { createInterface } from "node:readline";

const send = (message) => process.stdout.write(JSON.stringify(message) + "\n");
const lines = createInterface({ input: process.stdin });

lines.on("line", (line) => {
  const message = JSON.parse(line);
  switch (message.method) {
    case "initialize":
      send({
        jsonrpc: "2.0",
        id: message.id,
        result: {
          protocolVersion: message.params.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: "crashing-server", version: "1.0.0" },
        },
      });
      break;
    case "tools/list":
      send({
        jsonrpc: "2.0",
        id: message.id,
        result: {
          tools: [
            {
              name: "get_status",
              description: "Reports the status (and crashes).",
              inputSchema: { type: "object", properties: {} },
              annotations: { readOnlyHint: true },
            },
          ],
        },
      });
      break;
    case "tools/call":
      process.exit(3);
    default:
      if (message.id !== undefined) send({ jsonrpc: "2.0", id: message.id, result: {} });
  }
});
