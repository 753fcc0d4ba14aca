using System.CommandLine;
using System.Globalization;
using System.Net;
using Liaa.Node.Api;
using Liaa.Node.Kademlia;
using Liaa.Node.Wire;

namespace Liaa.Node.Hosting;

/// <summary>
/// The <c>Liaa.Node</c> command line: <c>serve</c> runs a node until Ctrl+C; <c>put</c> and
/// <c>get</c> go through a short-lived client node. Exit codes: 0 success, 1 key not found,
/// 2 any error (with the reason on stderr).
/// </summary>
internal static class NodeCommandLine
{
    public const int Success = 0;
    public const int NotFound = 1;
    public const int Failure = 2;

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Liaa: a Kademlia DHT node, wire-compatible with the Python kademlia network.")
        {
            ServeCommand.Create(),
            CreatePutCommand(),
            CreateGetCommand(),
        };
        var parse = root.Parse(args);
        return await parse.InvokeAsync().ConfigureAwait(false);
    }

    private static Option<string[]> SeedOption(bool required) => new("--seed")
    {
        Description = "A node to join through, as HOST:PORT (repeatable).",
        Required = required,
        AllowMultipleArgumentsPerToken = false,
    };

    private static Option<bool> DigestOption() => new("--digest")
    {
        Description = "KEY is a 40-hex-digit digest used as is, not a string to hash with SHA-1.",
    };

    private static Option<double> TimeoutOption() => new("--timeout")
    {
        Description = "Seconds to wait for each RPC.",
        DefaultValueFactory = _ => 5,
    };

    private static Command CreatePutCommand()
    {
        var key = new Argument<string>("KEY") { Description = "The key (a string, hashed with SHA-1 as the Python peers do)." };
        var value = new Argument<string>("VALUE") { Description = "The value; a string unless a type option says otherwise." };
        var seeds = SeedOption(required: false);
        var via = new Option<string?>("--via")
        {
            Description = "Publish through a serving node's HTTP API (e.g. http://127.0.0.1:8080) instead of a short-lived client: "
                + "that node becomes the value's publisher and republishes it while it runs.",
        };
        var token = new Option<string?>("--token") { Description = "With --via: the node's API token (Liaa:Node:ApiToken), if it has one." };
        var asInt = new Option<bool>("--int") { Description = "VALUE is a 64-bit integer." };
        var asFloat = new Option<bool>("--float") { Description = "VALUE is a float64." };
        var asBool = new Option<bool>("--bool") { Description = "VALUE is true or false." };
        var asBytes = new Option<bool>("--bytes-hex") { Description = "VALUE is bytes, written in hexadecimal." };
        var digest = DigestOption();
        var timeout = TimeoutOption();
        var command = new Command(
            "put",
            "Store a value in the DHT. It lives for the TTL (24 hours) unless its publisher republishes it: a put through a "
            + "short-lived client (--seed) is not republished; a put --via a serving node is, by that node, while it runs.")
        {
            key, value, seeds, via, token, asInt, asFloat, asBool, asBytes, digest, timeout,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            DhtValue typed;
            NodeId id;
            try
            {
                typed = ParseValue(parse.GetValue(value)!, parse.GetValue(asInt), parse.GetValue(asFloat), parse.GetValue(asBool), parse.GetValue(asBytes));
                id = ParseKey(parse.GetValue(key)!, parse.GetValue(digest));
                if (new Storage.StorageOptions().DescribeTooLarge(typed) is { } tooLarge)
                {
                    throw new CommandLineException($"the value was refused: {tooLarge}");
                }

                if (parse.GetValue(via) is null && (parse.GetValue(seeds) ?? []).Length == 0)
                {
                    throw new CommandLineException("give --seed HOST:PORT (a short-lived client publishes, once) or --via URL (a serving node publishes and republishes)");
                }
            }
            catch (Exception ex) when (ex is CommandLineException or ArgumentException)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
                return Failure;
            }

            if (parse.GetValue(via) is { } url)
            {
                return await PutViaHttp.RunAsync(url, parse.GetValue(token), parse.GetValue(key)!, parse.GetValue(digest), typed, parse.GetValue(timeout), cancellationToken).ConfigureAwait(false);
            }

            return await RunClientAsync(parse.GetValue(seeds)!, parse.GetValue(timeout), fullJoin: true, async node =>
            {
                var result = await node.PutAsync(id, typed, cancellationToken).ConfigureAwait(false);
                if (!result.IsAccepted)
                {
                    throw new CommandLineException($"the value was refused: {result.Reason}");
                }

                if (result.StoredAt == 0)
                {
                    throw new CommandLineException($"no node stored the value ({result.Asked} asked)");
                }

                // The client exits now and nobody republishes: holders drop the value a TTL after this publication.
                var ttl = node.Options.Storage.Ttl;
                var expiresAt = node.GetStoredValue(id)?.ExpiresAt ?? node.Options.TimeProvider.GetUtcNow() + ttl;
                Console.WriteLine($"stored {result.Key} at {result.StoredAt} of {result.Asked} nodes");
                Console.WriteLine(
                    $"it expires at {FormatTime(expiresAt)} (in {FormatDuration(ttl)}): a put from a short-lived client is not republished; "
                    + "put it again before then, or use --via http://HOST:PORT to publish through a serving node, which republishes it");
                return Success;
            }, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>A UTC time as the command line prints it: <c>2026-12-05T10:00:00Z</c>.</summary>
    internal static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A lifetime in the largest whole unit that fits: <c>24 hours</c>, <c>90 minutes</c>.</summary>
    internal static string FormatDuration(TimeSpan duration) => duration switch
    {
        { TotalHours: >= 1 } when duration.Ticks % TimeSpan.TicksPerHour == 0 => Plural((long)duration.TotalHours, "hour"),
        { TotalMinutes: >= 1 } when duration.Ticks % TimeSpan.TicksPerMinute == 0 => Plural((long)duration.TotalMinutes, "minute"),
        _ => Plural((long)Math.Ceiling(duration.TotalSeconds), "second"),
    };

    private static string Plural(long count, string unit) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {unit}{(count == 1 ? string.Empty : "s")}");

    private static Command CreateGetCommand()
    {
        var key = new Argument<string>("KEY") { Description = "The key (a string, hashed with SHA-1 as the Python peers do)." };
        var seeds = SeedOption(required: true);
        var digest = DigestOption();
        var timeout = TimeoutOption();
        var valueOnly = new Option<bool>("--value-only") { Description = "Print the value alone, without its type (bytes in hexadecimal)." };
        var command = new Command(
            "get",
            "Read a value from the DHT through a short-lived client node and print it with its type (string, bytes in hexadecimal, "
            + "integer, float, boolean), e.g. 'string: hello'; exit code 1 when not found.")
        {
            key, seeds, digest, timeout, valueOnly,
        };
        // No join lookups: the FIND_VALUE lookup starts from the seeds that answered a ping.
        command.SetAction((parse, cancellationToken) => RunClientAsync(parse.GetValue(seeds)!, parse.GetValue(timeout), fullJoin: false, async node =>
        {
            var result = await node.GetAsync(ParseKey(parse.GetValue(key)!, parse.GetValue(digest)), cancellationToken).ConfigureAwait(false);
            if (result.Value is not { } found)
            {
                await Console.Error.WriteLineAsync($"not found: {result.Key}").ConfigureAwait(false);
                return NotFound;
            }

            Console.WriteLine(parse.GetValue(valueOnly) ? ValueText.Format(found) : ValueText.FormatTyped(found));
            return Success;
        }, cancellationToken));
        return command;
    }

    /// <summary>
    /// Runs <paramref name="action"/> on a client node that reached the seeds: through a full join (its own id looked up, buckets
    /// refreshed) when <paramref name="fullJoin"/>, else by pinging them only (<see cref="LiaaNode.ReachSeedsAsync"/>).
    /// </summary>
    private static async Task<int> RunClientAsync(string[] seedTexts, double timeoutSeconds, bool fullJoin, Func<LiaaNode, Task<int>> action, CancellationToken cancellationToken)
    {
        try
        {
            if (timeoutSeconds <= 0 || double.IsNaN(timeoutSeconds))
            {
                throw new CommandLineException("--timeout must be a positive number of seconds");
            }

            var seeds = await ResolveAsync(seedTexts, cancellationToken).ConfigureAwait(false);
            var options = new LiaaNodeOptions
            {
                EndPoint = new IPEndPoint(seeds.Any(s => s.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) ? IPAddress.IPv6Any : IPAddress.Any, 0),
                ClientMode = true,
            };
            options.Rpc.Timeout = TimeSpan.FromSeconds(timeoutSeconds);
            await using var node = await LiaaNode.StartAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false);
            var join = fullJoin
                ? await node.BootstrapAsync(seeds, cancellationToken).ConfigureAwait(false)
                : await node.ReachSeedsAsync(seeds, cancellationToken).ConfigureAwait(false);
            if (!join.IsJoined)
            {
                throw new CommandLineException($"no seed answered ({string.Join(", ", seedTexts)})");
            }

            return await action(node).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CommandLineException or FormatException or ArgumentException or System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return Failure;
        }
    }

    /// <summary>
    /// The seeds of a short-lived client: IP:PORT as is (IPv6 as [addr]:port), HOST:PORT resolved now to every address
    /// it has (IPv4 and IPv6; the client binds dual-stack when any is IPv6). Fails naming each seed that gave none.
    /// </summary>
    public static async Task<IReadOnlyList<IPEndPoint>> ResolveAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var seeds = new List<IPEndPoint>();
        var names = new List<DnsEndPoint>();
        foreach (var text in texts)
        {
            if (IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port != 0)
            {
                seeds.Add(endPoint);
            }
            else if (NamedSeeds.TryParse(text, out var name))
            {
                names.Add(name!);
            }
            else
            {
                throw new CommandLineException($"'{text}' is not HOST:PORT");
            }
        }

        var resolution = await new NamedSeeds(names).ResolveAsync(new IPEndPoint(IPAddress.IPv6Any, 0), cancellationToken).ConfigureAwait(false);
        if (resolution.Problems.Count > 0)
        {
            throw new CommandLineException(string.Join(" ", resolution.Problems));
        }

        seeds.AddRange(resolution.EndPoints);
        return seeds;
    }

    internal static NodeId ParseKey(string key, bool isDigest)
    {
        if (!isDigest)
        {
            return NodeId.FromKey(key);
        }

        return NodeId.TryParse(key, out var id) ? id : throw new CommandLineException($"'{key}' is not a digest of 40 hexadecimal digits");
    }

    internal static DhtValue ParseValue(string text, bool asInt, bool asFloat, bool asBool, bool asBytes)
    {
        if ((asInt ? 1 : 0) + (asFloat ? 1 : 0) + (asBool ? 1 : 0) + (asBytes ? 1 : 0) > 1)
        {
            throw new CommandLineException("choose at most one of --int, --float, --bool, --bytes-hex");
        }

        if (asInt)
        {
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var signed))
            {
                return DhtValue.FromInt64(signed);
            }

            return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var unsigned)
                ? DhtValue.FromUInt64(unsigned)
                : throw new CommandLineException($"'{text}' is not a 64-bit integer");
        }

        if (asFloat)
        {
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                ? DhtValue.FromDouble(number)
                : throw new CommandLineException($"'{text}' is not a number");
        }

        if (asBool)
        {
            return bool.TryParse(text, out var flag) ? DhtValue.FromBoolean(flag) : throw new CommandLineException($"'{text}' is not true or false");
        }

        if (asBytes)
        {
            try
            {
                return DhtValue.FromBytes(Convert.FromHexString(text));
            }
            catch (FormatException)
            {
                throw new CommandLineException($"'{text}' is not hexadecimal bytes");
            }
        }

        return DhtValue.FromString(text);
    }
}

/// <summary>A command-line problem, reported as "error: message" with exit code 2.</summary>
internal sealed class CommandLineException(string message) : Exception(message);
