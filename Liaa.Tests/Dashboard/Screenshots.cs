namespace Liaa.Tests.Dashboard;

/// <summary>
/// Where browser tests keep their screenshots: <c>artifacts/screenshots/&lt;area&gt;/</c> in the
/// repository (next to <c>artifacts/test-results</c>, which <c>test.sh</c> writes), or a temporary
/// directory when the tests run outside a checkout. Each path is written to the test output.
/// </summary>
internal static class Screenshots
{
    public static string Directory(string area)
    {
        var root = FindRepositoryRoot() is { } repository
            ? Path.Combine(repository, "artifacts", "screenshots", area)
            : Path.Combine(Path.GetTempPath(), "liaa-screenshots", area);
        System.IO.Directory.CreateDirectory(root);
        return root;
    }

    private static string? FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Liaa.Aspire.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
