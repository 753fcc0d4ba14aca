using System.Net;
using Liaa.Node.Kademlia;
using static Liaa.Tests.Kademlia.TestContacts;

namespace Liaa.Tests.Kademlia;

public sealed class ContactPoolTests
{
    private static readonly KademliaOptions Options = new() { K = 3, Alpha = 1, RelaxedSplitDepth = 1 };

    private static Contact Copy(Contact contact) => new(contact.Id, new IPEndPoint(IPAddress.Parse(contact.EndPoint.Address.ToString()), contact.EndPoint.Port));

    [Fact]
    public void Intern_GivesTheFirstInstance_ForAnEqualContact_AndTheNewestForANewIdAtTheEndPoint()
    {
        var pool = new ContactPool();
        var first = At(Exact("1", 1), 20001);

        Assert.Same(first, pool.Intern(first));
        Assert.Same(first, pool.Intern(Copy(first)));

        // A node restarted with a new id at the same endpoint: the pool keeps the newest.
        var restarted = new Contact(Exact("1", 2), Copy(first).EndPoint);
        Assert.Same(restarted, pool.Intern(restarted));
        Assert.Same(restarted, pool.Intern(Copy(restarted)));
        Assert.Equal(1, pool.Count);
    }

    [Fact]
    public void TablesSharingAPool_KeepOneInstanceOfEachContact_AndTheirOwnStateAboutIt()
    {
        var pool = new ContactPool();
        var a = new RoutingTable(Exact("0", 1), Options, pool);
        var b = new RoutingTable(Exact("0", 2), Options, pool);
        var contact = At(Exact("1", 5), 20005);

        Assert.Equal(AddContactStatus.Added, a.Observe(Copy(contact), Start).Status);
        Assert.Equal(AddContactStatus.Added, b.Observe(Copy(contact), Start).Status);
        a.RecordFailure(contact.Id, Start);

        Assert.Same(a.Get(contact.Id), b.Get(contact.Id));
        Assert.Equal(contact, a.Get(contact.Id));
        Assert.Equal(1, a.GetBuckets().SelectMany(bucket => bucket.Contacts).Single().FailureCount);
        Assert.Equal(0, b.GetBuckets().SelectMany(bucket => bucket.Contacts).Single().FailureCount);
    }

    [Fact]
    public void TableWithoutAPool_KeepsTheContactItWasGiven()
    {
        var table = new RoutingTable(Exact("0", 1), Options);
        var contact = At(Exact("1", 5), 20005);

        table.Observe(contact, Start);

        Assert.Same(contact, table.Get(contact.Id));
    }
}
