using System.Net;
using Liaa.Node.Kademlia;
using Liaa.Node.Rpc;
using Liaa.Node.Wire;

namespace Liaa.Node.Protocol;

/// <summary>
/// Proves that a contact's address is its own before the node sends it more than a small multiple of what
/// it sent (issue 14: no reflection, no amplification): the contact must answer a ping as the id it claims.
/// A request's source address can be forged; an answer echoing our unpredictable message id cannot.
/// </summary>
/// <remarks>
/// <para>
/// Used for a large FIND_VALUE hit and for the §2.5 hand-off to a newcomer. An endpoint that answered any of
/// our pings as the id (<see cref="RpcEndpoint.HasAnsweredAs"/>) needs no new ping. Requests waiting for the
/// same contact share one ping. Waiting holds no serving slot (the caller runs its follow-up in the background),
/// and at most <see cref="RpcOptions.MaxPendingVerificationsPerAddress"/> requests per address (every port of
/// it) and <see cref="RpcOptions.MaxPendingVerifications"/> in all wait at once: beyond, the caller withholds.
/// </para>
/// <para>A verification ping that times out counts as a failure of the contact, like any RPC to it.</para>
/// </remarks>
internal sealed class PeerVerifier
{
    private readonly NodeId _self;
    private readonly RpcEndpoint _rpc;
    private readonly BackgroundWork _background;
    private readonly RpcOptions _options;
    private readonly Action<Contact> _pingTimedOut;
    private readonly Lock _gate = new();
    private readonly Dictionary<Contact, Task<bool>> _pings = [];
    private readonly Dictionary<IPAddress, int> _waitingByAddress = [];
    private int _waiting;

    /// <summary>
    /// Verifies with pings from <paramref name="rpc"/> (as <paramref name="self"/>), run as <paramref name="background"/>
    /// work, within the bounds of <paramref name="options"/>; <paramref name="pingTimedOut"/> is told of a contact whose
    /// verification ping timed out (one failure of it, <see cref="ContactTracker.Failed"/>).
    /// </summary>
    public PeerVerifier(NodeId self, RpcEndpoint rpc, BackgroundWork background, RpcOptions options, Action<Contact> pingTimedOut)
    {
        _self = self;
        _rpc = rpc;
        _background = background;
        _options = options;
        _pingTimedOut = pingTimedOut;
    }

    /// <summary>Requests waiting for a verification now.</summary>
    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting;
            }
        }
    }

    /// <summary>
    /// Starts (or joins) the verification of <paramref name="contact"/>; <paramref name="verified"/> completes
    /// with whether it answered a ping as itself. False, with nothing started, when too many requests from its
    /// address (or in all) wait already.
    /// </summary>
    public bool TryVerify(Contact contact, out Task<bool> verified)
    {
        if (_rpc.HasAnsweredAs(contact.EndPoint, contact.Id))
        {
            verified = Task.FromResult(true);
            return true;
        }

        var address = IDatagramTransport.Normalize(contact.EndPoint).Address;
        Task<bool> ping;
        lock (_gate)
        {
            _waitingByAddress.TryGetValue(address, out var fromAddress);
            if (fromAddress >= _options.MaxPendingVerificationsPerAddress || _waiting >= _options.MaxPendingVerifications)
            {
                verified = Task.FromResult(false);
                return false;
            }

            _waitingByAddress[address] = fromAddress + 1;
            _waiting++;
            if (!_pings.TryGetValue(contact, out var pending) || pending.IsCompleted)
            {
                pending = PingAsync(contact);
                _pings[contact] = pending;
            }

            ping = pending;
        }

        verified = WaitAsync(ping, address);
        return true;
    }

    private async Task<bool> WaitAsync(Task<bool> ping, IPAddress address)
    {
        try
        {
            return await ping.ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _waiting--;
                if (--_waitingByAddress[address] == 0)
                {
                    _waitingByAddress.Remove(address);
                }
            }
        }
    }

    private async Task<bool> PingAsync(Contact contact)
    {
        // Off the caller's thread (it may hold the lock above) and under the node's background token.
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = _background.Run(async cancellationToken =>
        {
            var answered = false;
            try
            {
                var result = await _rpc.CallAsync(contact.EndPoint, new PingRequest(_self), new RpcCallOptions { PeerId = contact.Id }, cancellationToken).ConfigureAwait(false);
                answered = result is { Status: RpcStatus.Ok, Response: PingResponse ping } && ping.Responder == contact.Id;
                if (result.Status == RpcStatus.Timeout)
                {
                    _pingTimedOut(contact);
                }
            }
            finally
            {
                lock (_gate)
                {
                    _pings.Remove(contact);
                }

                done.TrySetResult(answered);
            }
        });
        if (!started)
        {
            done.TrySetResult(false);
        }

        return await done.Task.ConfigureAwait(false);
    }
}
