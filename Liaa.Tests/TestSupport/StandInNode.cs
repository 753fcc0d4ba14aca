using Liaa.AppHost.Orchestration;

namespace Liaa.Tests.TestSupport;

/// <summary>
/// A tiny stand-in for <c>Liaa.Node serve</c> (Python, Debian's <c>/usr/bin/python3</c>) honouring the
/// node's process contract: the same command line, the startup line on stdout, <c>/health</c>,
/// <c>/v1/node</c>, <c>/metrics</c>, exit on SIGTERM and on end of standard input when
/// <c>LIAA_PARENT_PID</c> is set. It starts in a fraction of the time of a .NET node, so tests of the
/// process management itself (crash detection, kill, stop timeouts) stay fast; it is no DHT.
/// Knobs by environment: <c>STANDIN_EXIT_AFTER_SECONDS</c> (exit with code 3 after that long),
/// <c>STANDIN_IGNORE_STOP=1</c> (ignore SIGTERM and end of input), <c>STANDIN_UNHEALTHY_FILE</c> (503 while that file exists), <c>STANDIN_NO_HEALTH=1</c> (no <c>/health</c>: 404).
/// </summary>
internal static class StandInNode
{
    private const string Script =
        """
        #!/usr/bin/python3 -u
        import hashlib, json, os, signal, socket, sys, threading, time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        args = sys.argv[1:]
        assert args and args[0] == "serve", args
        port, seeds, http, name = 0, [], "127.0.0.1:0", "node"
        i = 1
        while i < len(args):
            key, value = args[i], args[i + 1]
            if key == "--port": port = int(value)
            elif key == "--seed": seeds.append(value)
            elif key == "--http": http = value
            elif key == "--name": name = value
            i += 2

        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("0.0.0.0", port))
        port = udp.getsockname()[1]
        node_id = hashlib.sha1(f"{name}/{os.getpid()}".encode()).hexdigest()
        started = time.time()
        values = {}

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a): pass
            def reply(self, code, body, ctype="text/plain"):
                data = body.encode() if isinstance(body, str) else body
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            def do_GET(self):
                unhealthy = os.environ.get("STANDIN_UNHEALTHY_FILE")
                if self.path == "/health":
                    if os.environ.get("STANDIN_NO_HEALTH") == "1": self.reply(404, "")
                    elif unhealthy and os.path.exists(unhealthy): self.reply(503, "Unhealthy")
                    else: self.reply(200, "Healthy")
                elif self.path == "/alive": self.reply(200, "Healthy")
                elif self.path == "/metrics": self.reply(200, "# TYPE standin_up gauge\nstandin_up 1\n")
                elif self.path == "/v1/node":
                    self.reply(200, json.dumps({"id": node_id, "udp": f"127.0.0.1:{port}", "http": f"http://{host}:{http_port}", "uptime": time.time() - started}), "application/json")
                elif self.path == "/v1/routing-table":
                    self.reply(200, json.dumps({"buckets": [{"contacts": [{"endpoint": s} for s in seeds]}]}), "application/json")
                elif self.path.startswith("/v1/values/"):
                    key = self.path[len("/v1/values/"):]
                    if key in values: self.reply(200, values[key], "application/octet-stream")
                    else: self.reply(404, "not found")
                else: self.reply(404, "not found")
            def do_PUT(self):
                key = self.path[len("/v1/values/"):]
                values[key] = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.reply(200, "stored")

        host, _, hp = http.rpartition(":")
        server = ThreadingHTTPServer((host, int(hp)), Handler)
        http_port = server.server_address[1]

        def quit(*_):
            os._exit(0)

        ignore_stop = os.environ.get("STANDIN_IGNORE_STOP") == "1"
        signal.signal(signal.SIGTERM, signal.SIG_IGN if ignore_stop else quit)

        if os.environ.get("LIAA_PARENT_PID") and not ignore_stop:
            def watch():
                while sys.stdin.buffer.read(256): pass
                os._exit(0)
            threading.Thread(target=watch, daemon=True).start()

        exit_after = os.environ.get("STANDIN_EXIT_AFTER_SECONDS")
        if exit_after:
            threading.Timer(float(exit_after), lambda: os._exit(3)).start()

        print(f"Liaa node {node_id} listening on udp 0.0.0.0:{port} http http://{host}:{http_port}", flush=True)
        print(f"stand-in {name} seeds={','.join(seeds)}", file=sys.stderr, flush=True)
        server.serve_forever()
        """;

    private static readonly Lazy<string> ScriptPath = new(WriteScript);

    /// <summary>True when the interpreter the stand-in needs is installed.</summary>
    public static bool IsAvailable => File.Exists(Python);

    /// <summary>The script itself, executable (for <c>LIAA_NODE_PATH</c>).</summary>
    public static string ScriptFile => ScriptPath.Value;

    /// <summary>How the cluster runs the stand-in in place of <c>dotnet Liaa.Node.dll</c>.</summary>
    public static NodeProgram Program => new(Python, ["-u", ScriptPath.Value]);

    private static string Python => "/usr/bin/python3";

    private static string WriteScript()
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "stand-in-node");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "standin_node.py");
        File.WriteAllText(path, Script);
        if (!OperatingSystem.IsWindows())
        {
            // Executable with its shebang, so LIAA_NODE_PATH can point straight at it.
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute);
        }

        return path;
    }
}
