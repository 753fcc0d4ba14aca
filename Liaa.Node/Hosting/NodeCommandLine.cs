namespace Liaa.Node.Hosting;

/// <summary>The <c>Liaa.Node</c> command line. Placeholder until the node is composed (issue 3).</summary>
internal static class NodeCommandLine
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.WriteLine($"Liaa.Node: {args.Length} argument(s); commands arrive with issue 3.");
        return Task.FromResult(0);
    }
}
