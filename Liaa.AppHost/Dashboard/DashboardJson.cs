using System.Text.Json;
using System.Text.Json.Serialization;

namespace Liaa.AppHost.Dashboard;

/// <summary>
/// How the dashboard's <c>/api/</c> writes JSON: web defaults (camelCase), enums as strings, nulls
/// left out. Passed to every result explicitly, so the host's own JSON settings cannot change the API.
/// </summary>
internal static class DashboardJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static IResult Ok<T>(T value) => Results.Json(value, Options);

    public static IResult Problem(int statusCode, string title, string? detail = null) =>
        Results.Problem(statusCode: statusCode, title: title, detail: detail);
}
