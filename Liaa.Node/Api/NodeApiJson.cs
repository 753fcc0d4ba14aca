using System.Text.Json;
using System.Text.Json.Serialization;
using Liaa.Node.Storage;

namespace Liaa.Node.Api;

/// <summary>
/// The JSON the HTTP API answers with, as named records serialized by source-generated code
/// (<see cref="NodeApiJson"/>) with the web defaults (camelCase names, nulls written). Named types rather
/// than anonymous ones so that a node compiled ahead of time (Native AOT, which has no reflection-based
/// serializer) answers exactly as a JIT-compiled one; property order is the order written here.
/// </summary>
internal sealed record NodeInfoResponse(
    string Id,
    string Udp,
    string? External,
    string Http,
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    bool Joined,
    int Contacts,
    int K,
    int Alpha);

/// <summary><c>GET /v1/routing-table</c>.</summary>
internal sealed record RoutingTableResponse(string Self, int Size, int K, IReadOnlyList<BucketResponse> Buckets);

/// <summary>One k-bucket of <see cref="RoutingTableResponse"/>.</summary>
internal sealed record BucketResponse(
    int Index,
    string Low,
    string High,
    int Depth,
    double Fill,
    DateTimeOffset? LastLookup,
    IReadOnlyList<ContactResponse> Contacts,
    IReadOnlyList<ReplacementResponse> Replacements);

/// <summary>A contact of a k-bucket.</summary>
internal sealed record ContactResponse(string Id, string Address, int Port, DateTimeOffset LastSeen, int Failures);

/// <summary>A replacement candidate of a k-bucket.</summary>
internal sealed record ReplacementResponse(string Id, string Address, int Port, DateTimeOffset LastSeen);

/// <summary><c>GET /v1/storage</c>.</summary>
internal sealed record StorageResponse(
    int Keys,
    long Bytes,
    IReadOnlyDictionary<string, OriginStatistics> ByOrigin,
    IReadOnlyList<StoredValueResponse> Values);

/// <summary>One value of <see cref="StorageResponse"/>.</summary>
internal sealed record StoredValueResponse(
    string Key,
    string Kind,
    int Size,
    string Origin,
    DateTimeOffset PublishedAt,
    DateTimeOffset ExpiresAt);

/// <summary><c>PUT /v1/values/{key}</c>.</summary>
internal sealed record PutResponse(
    string Key,
    int StoredAt,
    int Asked,
    DateTimeOffset? PublishedAt,
    DateTimeOffset? ExpiresAt,
    TimeSpan RepublishInterval);

/// <summary><c>GET /v1/lookups</c>: the node's latest lookups, newest first.</summary>
internal sealed record LookupsResponse(string Self, int Capacity, IReadOnlyList<LookupResponse> Lookups);

/// <summary>One recorded lookup of <see cref="LookupsResponse"/>.</summary>
internal sealed record LookupResponse(
    string Kind,
    string Target,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    double? DurationMs,
    string? TraceId,
    int InitialContacts,
    int Contacted,
    int Timeouts,
    int? Hops,
    bool? Found,
    IReadOnlyList<string> Closest,
    bool DeadlineExceeded,
    bool Truncated,
    IReadOnlyList<LookupRoundResponse> Rounds);

/// <summary>The requests a lookup sent at once (its first α, one per freed slot, or the final step's batch).</summary>
internal sealed record LookupRoundResponse(int Round, DateTimeOffset SentAt, bool FinalStep, IReadOnlyList<LookupRequestResponse> Requests);

/// <summary>One request of a <see cref="LookupRoundResponse"/>: whom it asked, what came of it, which of its contacts were closer than any known before.</summary>
internal sealed record LookupRequestResponse(string Id, string Outcome, double? Ms, int Returned, IReadOnlyList<string> Closer);

/// <summary>The source-generated serializers of the API's answers (web defaults, as <c>Results.Json</c> uses).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(NodeInfoResponse))]
[JsonSerializable(typeof(RoutingTableResponse))]
[JsonSerializable(typeof(StorageResponse))]
[JsonSerializable(typeof(PutResponse))]
[JsonSerializable(typeof(LookupsResponse))]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
internal sealed partial class NodeApiJson : JsonSerializerContext;
