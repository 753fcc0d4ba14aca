using System.Text.Json.Nodes;

namespace Liaa.Tests.Dashboards;

/// <summary>One Grafana dashboard and the parts of it the tests look at.</summary>
internal sealed record GrafanaDashboard(string FileName, JsonObject Json)
{
    public string Uid => (string)Json["uid"]!;

    public string Title => (string)Json["title"]!;

    /// <summary>Every panel, rows included, and the panels inside collapsed rows.</summary>
    public IEnumerable<JsonObject> AllPanels =>
        Json["panels"]!.AsArray().Select(p => p!.AsObject())
            .SelectMany(p => new[] { p }.Concat(p["panels"]?.AsArray().Select(n => n!.AsObject()) ?? []));

    /// <summary>The panels that query something (not rows).</summary>
    public IEnumerable<JsonObject> QueryPanels => AllPanels.Where(p => (string?)p["type"] != "row");

    public IEnumerable<(JsonObject Panel, JsonObject Target)> Targets =>
        QueryPanels.SelectMany(p => (p["targets"]?.AsArray() ?? []).Select(t => (p, t!.AsObject())));

    public IEnumerable<JsonObject> Variables => Json["templating"]?["list"]?.AsArray().Select(v => v!.AsObject()) ?? [];

    /// <summary>The variables whose values come from a Prometheus query (not the datasource picker).</summary>
    public IEnumerable<JsonObject> QueryVariables => Variables.Where(v => (string?)v["type"] == "query");

    /// <summary>The PromQL-like query of a query variable (<c>label_values(...)</c>).</summary>
    public static string? VariableQuery(JsonObject variable) =>
        variable["query"] switch
        {
            JsonObject query => (string?)query["query"],
            JsonValue text => (string?)text,
            _ => null,
        };

    public override string ToString() => FileName;
}
