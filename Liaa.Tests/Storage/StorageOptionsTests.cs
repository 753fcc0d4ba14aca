using Liaa.Node.Storage;

namespace Liaa.Tests.Storage;

public sealed class StorageOptionsTests
{
    [Fact]
    public void Validate_AcceptsDefaults_WhoseRepublishLandsBeforeExpiry()
    {
        var options = new StorageOptions();

        Assert.Empty(options.Validate());
        Assert.True(options.ReplicateInterval < options.RepublishInterval && options.RepublishInterval < options.Ttl);
    }

    [Fact]
    public void Validate_ReportsEveryProblem_NamingItsKey()
    {
        var options = new StorageOptions
        {
            Ttl = TimeSpan.FromHours(1),
            ReplicateInterval = TimeSpan.FromHours(2),
            RepublishInterval = TimeSpan.FromHours(1),
            MaxValueBytes = 0,
            MaxKeys = 0,
            MaxTotalBytes = -1,
        };

        Assert.Equal(
            [
                "Liaa:Storage:RepublishInterval (01:00:00) must be longer than ReplicateInterval (02:00:00).",
                "Liaa:Storage:RepublishInterval (01:00:00) must be shorter than Ttl (01:00:00), or values expire before their publisher renews them.",
                "Liaa:Storage:MaxValueBytes must be at least 1 (is 0).",
                "Liaa:Storage:MaxKeys must be at least 1 (is 0).",
                "Liaa:Storage:MaxTotalBytes (-1) must be at least MaxValueBytes (0).",
            ],
            options.Validate());
        Assert.Throws<ArgumentException>(() => new InMemoryValueStore(TimeProvider.System, options));
    }
}
