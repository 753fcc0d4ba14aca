using System.Net;

namespace Liaa.Node.Kademlia;

/// <summary>
/// The routing table's defences against being filled by one party (an eclipse or Sybil flood):
/// one id per endpoint, and at most a few contacts per network (/24 or /48) per bucket and per table.
/// </summary>
/// <remarks>
/// <para>
/// One endpoint is one node. A message from a new id at an endpoint another id holds is refused, and the
/// caller asked to ping the holder: if it answers with its own id the newcomer was a forgery or a flood;
/// if another id answers, the holder is gone (a restart with a new id) and the caller removes it. A stale
/// holder gives way at once. The replacement cache keeps at most one candidate per endpoint, the newest.
/// </para>
/// <para>
/// Networks. <see cref="KademliaOptions.MaxContactsPerSubnet"/> contacts per /24 or /48 in the table, and
/// <see cref="KademliaOptions.MaxContactsPerSubnetPerBucket"/> per bucket and, separately, per replacement
/// cache; promotions from the cache skip candidates the limits would refuse. Loopback is exempt: a local
/// cluster is many nodes on 127.0.0.1, and a flood of ids from one loopback port is still one endpoint.
/// </para>
/// </remarks>
internal sealed partial class RoutingTable
{
    private readonly Dictionary<NetworkPrefix, int> _perNetwork = [];
    // The contact in a bucket at each endpoint.
    private readonly EndPointIndex _byEndPoint = new();

    /// <summary>Contacts in the table from the network of <paramref name="address"/> (0 for loopback).</summary>
    public int CountInNetwork(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        lock (_gate)
        {
            return NetworkPrefix.Of(address) is { } network ? _perNetwork.GetValueOrDefault(network) : 0;
        }
    }

    /// <summary>
    /// Whether <paramref name="contact"/> may take a slot of <paramref name="bucket"/>, <paramref name="leaving"/>
    /// (a contact it replaces, or its own old endpoint) leaving the table at the same time.
    /// </summary>
    private ContactRefusal CheckAdmission(Contact contact, KBucket bucket, Contact? leaving)
    {
        if (_byEndPoint.TryGetValue(contact.EndPoint, out var holder) && holder.Contact.Id != contact.Id && holder.Contact.Id != leaving?.Id)
        {
            return ContactRefusal.EndPointTaken;
        }

        if (NetworkPrefix.Of(contact.EndPoint.Address) is not { } network)
        {
            return ContactRefusal.None;
        }

        if (_options.MaxContactsPerSubnet > 0)
        {
            var inTable = _perNetwork.GetValueOrDefault(network) - InNetwork(leaving, network);
            if (inTable >= _options.MaxContactsPerSubnet)
            {
                return ContactRefusal.Subnet;
            }
        }

        if (_options.MaxContactsPerSubnetPerBucket > 0)
        {
            var inBucket = 0;
            foreach (var entry in bucket.Contacts)
            {
                if (entry.Contact.Id != contact.Id && entry.Contact.Id != leaving?.Id && NetworkPrefix.Of(entry.Contact.EndPoint.Address) == network)
                {
                    inBucket++;
                }
            }

            if (inBucket >= _options.MaxContactsPerSubnetPerBucket)
            {
                return ContactRefusal.Subnet;
            }
        }

        return ContactRefusal.None;
    }

    /// <summary>
    /// Whether <paramref name="contact"/> may wait in <paramref name="bucket"/>'s replacement cache. Makes room
    /// for it by dropping an older candidate at the same endpoint.
    /// </summary>
    private ContactRefusal CheckReplacementAdmission(Contact contact, KBucket bucket)
    {
        if (_byEndPoint.TryGetValue(contact.EndPoint, out var holder) && holder.Contact.Id != contact.Id)
        {
            return ContactRefusal.EndPointTaken;
        }

        var network = NetworkPrefix.Of(contact.EndPoint.Address);
        var inNetwork = 0;
        for (var i = bucket.Replacements.Count - 1; i >= 0; i--)
        {
            var candidate = bucket.Replacements[i].Contact;
            if (candidate.Id == contact.Id)
            {
                continue;
            }

            if (candidate.EndPoint.Equals(contact.EndPoint))
            {
                bucket.Replacements.RemoveAt(i);
                _replacementCount--;
            }
            else if (network is not null && NetworkPrefix.Of(candidate.EndPoint.Address) == network)
            {
                inNetwork++;
            }
        }

        return network is not null && _options.MaxContactsPerSubnetPerBucket > 0 && inNetwork >= _options.MaxContactsPerSubnetPerBucket
            ? ContactRefusal.Subnet
            : ContactRefusal.None;
    }

    /// <summary>Removes and returns the most recently seen candidate the limits admit into <paramref name="bucket"/>, if any.</summary>
    private ReplacementEntry? TakeNewestAdmissibleReplacement(KBucket bucket, Contact? leaving)
    {
        for (var i = bucket.Replacements.Count - 1; i >= 0; i--)
        {
            var candidate = bucket.Replacements[i];
            if (CheckAdmission(candidate.Contact, bucket, leaving) == ContactRefusal.None)
            {
                bucket.Replacements.RemoveAt(i);
                _replacementCount--;
                return candidate;
            }
        }

        return null;
    }

    private AddContactResult Refuse(Contact contact, ContactRefusal refusal)
    {
        var holder = refusal == ContactRefusal.EndPointTaken && _byEndPoint.TryGetValue(contact.EndPoint, out var entry) ? entry.Contact : null;
        return new AddContactResult(AddContactStatus.Refused, ContactToPing: holder, Refusal: refusal);
    }

    /// <summary>Keeps the endpoint and network indexes in step with the buckets (+1 in, −1 out).</summary>
    private void Track(ContactEntry entry, int sign)
    {
        var contact = entry.Contact;
        if (sign > 0)
        {
            _byEndPoint.Set(entry);
        }
        else
        {
            _byEndPoint.Remove(contact.EndPoint, contact.Id);
        }

        if (NetworkPrefix.Of(contact.EndPoint.Address) is { } network)
        {
            var count = _perNetwork.GetValueOrDefault(network) + sign;
            if (count > 0)
            {
                _perNetwork[network] = count;
            }
            else
            {
                _perNetwork.Remove(network);
            }
        }
    }

    private static int InNetwork(Contact? contact, NetworkPrefix network) =>
        contact is not null && NetworkPrefix.Of(contact.EndPoint.Address) == network ? 1 : 0;
}
