using System.Globalization;
using Liaa.Node.Kademlia;

namespace Liaa.Node.Api;

/// <summary>
/// A value as plain text, shared by the HTTP API and the command line (which reaches the API):
/// strings as they are, bytes in hexadecimal, numbers invariant; and the names of the kinds.
/// </summary>
internal static class ValueText
{
    /// <summary>The value's type as the <c>Liaa-Value-Type</c> header, <c>/v1/storage</c> and <c>get</c> name it.</summary>
    public static string TypeName(DhtValueKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>A value alone: strings as they are, bytes in hexadecimal, numbers invariant.</summary>
    public static string Format(DhtValue value) => value.Kind switch
    {
        DhtValueKind.String => value.AsString(),
        DhtValueKind.Bytes => Convert.ToHexStringLower(value.AsBytes()),
        DhtValueKind.Integer => value.ToString(),
        DhtValueKind.Float => value.AsDouble().ToString("R", CultureInfo.InvariantCulture),
        DhtValueKind.Boolean => value.AsBoolean() ? "true" : "false",
        _ => value.ToString(),
    };

    /// <summary>
    /// How <c>get</c> prints a value: its type, then the value (<c>string: 68656c6c6f</c> and <c>bytes: 68656c6c6f</c>
    /// differ, as do <c>string: 42</c> and <c>integer: 42</c>).
    /// </summary>
    public static string FormatTyped(DhtValue value) => $"{TypeName(value.Kind)}: {Format(value)}";
}
