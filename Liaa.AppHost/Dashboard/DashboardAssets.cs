using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.StaticFiles;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// The dashboard's static files (<c>Dashboard/wwwroot</c>: HTML, CSS, plain JavaScript), embedded in
/// the AppHost assembly so the dashboard works wherever the AppHost runs from (<c>dotnet run</c>, a
/// test's output directory) and nothing is fetched at run time.
/// </summary>
/// <remarks>
/// Each file is mapped to its own route (<c>/</c> for <c>index.html</c>), never a catch-all, so the
/// dashboard cannot shadow anything else the AppHost serves. Responses carry a content hash as
/// ETag with <c>no-cache</c>: a browser revalidates and gets 304 until the AppHost is rebuilt.
/// </remarks>
internal static class DashboardAssets
{
    /// <summary>The logical-name prefix the project file gives the embedded files.</summary>
    public const string ResourcePrefix = "dashboard/";

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>Every embedded dashboard file by its URL path (<c>/app.js</c>), loaded once.</summary>
    public static FrozenDictionary<string, Asset> All { get; } = Load(typeof(DashboardAssets).Assembly);

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        foreach (var (path, asset) in All)
        {
            endpoints.MapGet(path, (HttpContext context) => Serve(context, asset)).ExcludeFromDescription();
            if (path == "/index.html")
            {
                endpoints.MapGet("/", (HttpContext context) => Serve(context, asset)).ExcludeFromDescription();
            }
        }
    }

    internal static FrozenDictionary<string, Asset> Load(Assembly assembly)
    {
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var path = "/" + name[ResourcePrefix.Length..].Replace('\\', '/');
            if (!ContentTypes.TryGetContentType(path, out var contentType))
            {
                contentType = "application/octet-stream";
            }

            if (contentType.StartsWith("text/", StringComparison.Ordinal) || contentType.EndsWith("javascript", StringComparison.Ordinal))
            {
                contentType += "; charset=utf-8";
            }

            assets[path] = new Asset(content, contentType, $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"");
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static IResult Serve(HttpContext context, Asset asset)
    {
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.ETag = asset.ETag;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        if (context.Request.Headers.IfNoneMatch.Contains(asset.ETag))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Content, asset.ContentType);
    }

    /// <summary>One embedded file.</summary>
    internal sealed record Asset(byte[] Content, string ContentType, string ETag);
}
