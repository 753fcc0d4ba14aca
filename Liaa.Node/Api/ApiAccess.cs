using System.Security.Cryptography;
using System.Text;

namespace Liaa.Node.Api;

/// <summary>
/// Who may write through the HTTP API. With no token configured (the API then listens on loopback only,
/// which <see cref="Hosting.NodeSettings"/> enforces) anyone who can connect may; with
/// <c>Liaa:Node:ApiToken</c> set, a write must carry <c>Authorization: Bearer &lt;token&gt;</c>. Reads stay
/// open: the DHT's values are public to anyone who speaks its UDP protocol anyway.
/// </summary>
internal sealed class ApiAccess
{
    private const string Scheme = "Bearer ";
    private readonly byte[]? _token;

    public ApiAccess(string? token)
    {
        _token = token is null ? null : Encoding.UTF8.GetBytes(token);
    }

    public bool IsTokenRequired => _token is not null;

    /// <summary>Whether <paramref name="request"/> may write; compares in constant time so the token cannot be guessed byte by byte.</summary>
    public bool MayWrite(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_token is null)
        {
            return true;
        }

        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()), _token);
    }
}
