#pragma once

#include <SocketIo/socketio_export.h>

#include <QByteArray>
#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QList>
#include <QObject>
#include <QSet>
#include <QString>
#include <QStringList>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace SocketIo {

class Namespace;
class RemoteSocket;
class Socket;
class AdapterPrivate;

/*! Socket.IO packet types (protocol.md 2.1). */
enum class PacketType {
    Connect = 0,
    Disconnect = 1,
    Event = 2,
    Ack = 3,
    ConnectError = 4,
    BinaryEvent = 5,
    BinaryAck = 6,
};

/*!
  A Socket.IO packet as adapters see it (socket.io-parser's Packet): decoded form, byte strings in
  place. EVENT data is [name, ...args]. An adapter that relays packets to other nodes serialises
  this; local delivery encodes it once (Adapter::encode) and writes the same bytes to every
  recipient.
*/
struct SOCKETIO_EXPORT Packet
{
    PacketType type = PacketType::Event;
    QString nsp = QStringLiteral("/");
    qint64 id = -1;       // ack id, -1: none
    QCborValue data;      // undefined: none
};

/*! A packet in wire form: the text of the first Engine.IO message, then one binary message per
    attachment. */
struct SOCKETIO_EXPORT EncodedPacket
{
    QByteArray text;
    QList<QByteArray> attachments;
    /*! The Engine.IO message of \c text as it goes on the wire ("4" followed by \c text), built
        once by Adapter::encode() so that every recipient's session sends these very bytes (no
        per-recipient framing or UTF-8 check). Trusted as valid UTF-8: leave it empty in an
        EncodedPacket built by other means (the engine then frames \c text itself, replacing
        invalid UTF-8), and clear it when changing \c text. */
    QByteArray engineMessage = QByteArray();
};

/*! socket.io's BroadcastFlags. */
struct SOCKETIO_EXPORT BroadcastFlags
{
    bool isVolatile = false;   // drop for recipients whose transport is not writable now
    bool compress = true;      // Engine.IO compress flag: false, the packet asks for no HTTP compression
                               // of the polling response (EngineSession::NoCompress)
    bool local = false;        // this node only (cluster adapters skip the relay)
    bool broadcast = false;    // emitted through a socket's broadcast operator (sender excluded)
    std::optional<std::chrono::milliseconds> timeout;   // for acks
};

/*! socket.io's BroadcastOptions: target rooms (empty: every socket), excluded rooms, flags. */
struct SOCKETIO_EXPORT BroadcastOptions
{
    QSet<QString> rooms;
    QSet<QString> except;
    BroadcastFlags flags;
};

/*!
  The seam between a namespace and its rooms, the method set of socket.io-adapter's Adapter.
  One adapter per namespace, created by ServerOptions::adapter (InMemoryAdapter by default) and
  owned by the namespace. The namespace only talks to its adapter for rooms and broadcasts, so a
  cluster adapter (Redis) or a session-storing adapter (connection state recovery) replaces it
  without touching namespace code: derive from InMemoryAdapter, relay to the other nodes, and call
  the base class for local delivery.

  Everything is called on the namespace's thread. Callbacks may be invoked synchronously (in-memory)
  or later (cluster); callers must cope with both.
*/
class SOCKETIO_EXPORT Adapter : public QObject
{
    Q_OBJECT
public:
    /*! Called for each acknowledgement of a broadcast-with-ack: the args one client acked with. */
    using AckCallback = std::function<void(const QCborArray &args)>;
    /*! Called once per server node with the number of clients a broadcast-with-ack reached. */
    using ClientCountCallback = std::function<void(int clientCount)>;

    explicit Adapter(SocketIo::Namespace *nsp);
    ~Adapter() override;

    /*! The namespace this adapter serves (its parent). */
    SocketIo::Namespace *nsp() const;

    /*! Called once after construction, before any socket joins. */
    virtual void init();
    /*! Called when the namespace or the server closes. */
    virtual void close();
    /*! Number of server nodes in the cluster (1 for a single node), delivered to \a callback. */
    virtual void serverCount(const std::function<void(int count)> &callback) const;

    /*! Socket \a id joins \a rooms. */
    virtual void addAll(const QString &id, const QSet<QString> &rooms) = 0;
    /*! Socket \a id leaves \a room. */
    virtual void del(const QString &id, const QString &room) = 0;
    /*! Socket \a id leaves every room. */
    virtual void delAll(const QString &id) = 0;

    /*! Sends \a packet to the sockets selected by \a opts. */
    virtual void broadcast(const SocketIo::Packet &packet, const SocketIo::BroadcastOptions &opts) = 0;
    /*! Like broadcast(), with packet.id set: reports the number of local recipients through
        \a clientCountCallback (once per node) and each recipient's ack args through \a ackCallback. */
    virtual void broadcastWithAck(const SocketIo::Packet &packet, const SocketIo::BroadcastOptions &opts,
                                  const ClientCountCallback &clientCountCallback,
                                  const AckCallback &ackCallback) = 0;

    /*! Ids of the local sockets in any of \a rooms (all local sockets when empty). */
    virtual QSet<QString> sockets(const QSet<QString> &rooms) const = 0;
    /*! Rooms of local socket \a id (empty if unknown). */
    virtual QSet<QString> socketRooms(const QString &id) const = 0;

    /*! The sockets selected by \a opts, across the cluster unless opts.flags.local. */
    virtual void fetchSockets(const SocketIo::BroadcastOptions &opts,
                              const std::function<void(const QList<SocketIo::RemoteSocket> &)> &callback) = 0;
    /*! Makes the sockets selected by \a opts join \a rooms. */
    virtual void addSockets(const SocketIo::BroadcastOptions &opts, const QStringList &rooms) = 0;
    /*! Makes the sockets selected by \a opts leave \a rooms. */
    virtual void delSockets(const SocketIo::BroadcastOptions &opts, const QStringList &rooms) = 0;
    /*! Disconnects the sockets selected by \a opts (and their connection if \a close). */
    virtual void disconnectSockets(const SocketIo::BroadcastOptions &opts, bool close) = 0;

    /*! Sends [event, ...args] to the other server nodes. The single-node adapter has none, warns and
        returns false. */
    virtual bool serverSideEmit(const QCborArray &packet);

    /*! Gets the answers of serverSideEmitWithAck(): \a error is empty on success, else socket.io's
        error text (e.g. "timeout reached: only 1 responses received out of 2"); \a responses holds
        the answers that arrived, the first ack argument of each other node. */
    using ServerSideAckCallback = std::function<void(const QString &error, const QCborArray &responses)>;
    /*! Sends [event, ...args] to the other server nodes, each of which answers once (socket.io's
        serverSideEmit with an acknowledgement); \a callback runs once, now or later. The
        single-node adapter has no other nodes: it warns and calls back at once with socket.io's
        error "this adapter does not support the serverSideEmit() functionality". */
    virtual void serverSideEmitWithAck(const QCborArray &packet, const ServerSideAckCallback &callback);

    /*! Connection state recovery (protocol.md 3): stores the session of a socket that left with a
        recoverable reason. \a session has socket.io's shape: "sid" and "pid" (strings), "rooms"
        (array of strings, the socket's own id included) and "data" (Socket::data()); the adapter
        adds "disconnectedAt" (milliseconds since the epoch). A session that restoreSession()
        handed over and that did not end in a connection (a middleware refused the socket, or the
        client left meanwhile) comes back here as it was handed over, "disconnectedAt" included:
        expiry should still count from that time. No-op here: this adapter cannot recover. */
    virtual void persistSession(const QCborMap &session);
    /*! Connection state recovery: looks up session \a pid and the packets the socket missed after
        \a offset, and calls \a callback exactly once, now or later (a cluster adapter may ask its
        store first), with the stored session plus "missedPackets" (array of EVENT data arrays,
        each already ending with its offset, in emission order), or with an empty map when there
        is nothing to restore (always, here). The namespace copes with the socket's connection
        having closed in the meantime. */
    virtual void restoreSession(const QString &pid, const QString &offset,
                                const std::function<void(const QCborMap &session)> &callback);

    /*! Encodes \a packet once into wire form (what broadcast implementations write to every
        recipient), EncodedPacket::engineMessage included. */
    static SocketIo::EncodedPacket encode(const SocketIo::Packet &packet);

Q_SIGNALS:
    /*! socket.io-adapter's "create-room": \a room got its first member. */
    void roomCreated(const QString &room);
    /*! "delete-room": \a room lost its last member. */
    void roomDeleted(const QString &room);
    /*! "join-room": socket \a id joined \a room. */
    void roomJoined(const QString &room, const QString &id);
    /*! "leave-room": socket \a id left \a room. */
    void roomLeft(const QString &room, const QString &id);

protected:
    /*! The local socket \a id of nsp(), or null. */
    SocketIo::Socket *localSocket(const QString &id) const;
    /*! Writes the already encoded \a packet to local socket \a id, honouring flags.isVolatile
        and flags.compress (the Engine.IO compress flag of each of its messages).
        Also reports the event to the socket's outgoing hook (Socket::eventSent) when \a packet is
        an EVENT. Returns false if the socket is gone or the packet was dropped. */
    bool writeToSocket(const QString &id, const SocketIo::Packet &packet,
                       const SocketIo::EncodedPacket &encoded, const SocketIo::BroadcastFlags &flags);
    /*! Registers \a callback for the ack with id \a ackId on local socket \a id (for
        broadcastWithAck). When the broadcast was started on this node (BroadcastOperator), the
        registration ends with it, so sockets that never answer do not keep it; otherwise it ends
        when the socket answers or disconnects. */
    bool expectAck(const QString &id, qint64 ackId, const AckCallback &callback);
    /*! A fresh ack id of nsp(), for delivering another node's broadcast-with-ack to local sockets
        (the ids of a namespace's broadcasts and of its sockets' emits come from one counter). */
    qint64 allocateAckId();
    /*! Builds the RemoteSocket value of local socket \a id (for fetchSockets). */
    std::optional<SocketIo::RemoteSocket> remoteSocketFor(const QString &id);
    /*! Applies join/leave/disconnect to a local socket (for addSockets/delSockets/disconnectSockets). */
    void joinLocal(const QString &id, const QStringList &rooms);
    void leaveLocal(const QString &id, const QStringList &rooms);
    void disconnectLocal(const QString &id, bool close);

private:
    std::unique_ptr<AdapterPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(Adapter)
    Q_DISABLE_COPY(Adapter)
};

} // namespace SocketIo
