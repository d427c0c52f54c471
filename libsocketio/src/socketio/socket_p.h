#pragma once

#include <SocketIo/adapter.h>
#include <SocketIo/socket.h>

#include "protocol/socketiopacket.h"

#include <QHash>
#include <QList>
#include <QPointer>

#include <SocketIo/engineoptions.h>

#include <memory>

#include <functional>

namespace SocketIo {

class ServerClient;

class SocketPrivate
{
public:
    struct Handler
    {
        QPointer<const QObject> context;
        EventHandler handler;
    };
    /*! One on() registration. */
    struct HandlerEntry
    {
        QString event;
        Handler handler;
    };
    struct PendingAck
    {
        Adapter::AckCallback callback;
        std::function<void()> onDisconnect;   // null: forget silently (broadcast acks)
    };

    Socket *q_ptr = nullptr;
    QString id;
    QString pid;                  // connection state recovery: private session id, empty when off
    QCborArray missedPackets;     // recovered: EVENT data to write before the CONNECT reply
    QCborMap restoredSession;     // recovered, until connected: the session as restoreSession gave it
    Namespace *nsp = nullptr;
    QPointer<ServerClient> client;
    /*! Built on first use from what the CONNECT brought (socket.io builds it for every socket;
        most servers never read it, and it is the largest part of a socket's set-up); allocated
        then, so that a socket whose handshake is never read does not carry its room. */
    mutable std::unique_ptr<Handshake> handshake;
    mutable EngineRequest request;   // until the handshake is built
    mutable QCborMap auth;           // until the handshake is built
    qint64 issued = 0;            // CONNECT time, ms since the epoch (UTC)
    QCborValue data = QCborMap();   // socket.io: socket.data = {}
    bool recovered = false;
    bool connected = false;
    /*! Created, middlewares still running: emits are written at once, before the CONNECT reply,
        as socket.io does (the Admin UI's "session" event relies on it). */
    bool handshaking = true;
    /*! The on() handlers of every event, in registration order: one flat list searched linearly
        (a QHash of lists cost about 2.9 KB per socket for four handlers: a 128-bucket span and one
        list per event; sockets have a handful of handlers, and the search compares lengths first). */
    QList<HandlerEntry> handlers;
    QList<PacketMiddleware> middlewares;
    QHash<qint64, PendingAck> acks;
    /*! Empties acks, calling each onDisconnect in the order the acks were asked for. */
    void dropPendingAcks();

    static SocketPrivate *get(Socket *socket) { return socket->d_func(); }
    /*! A new socket, or with a non-empty \a session (Adapter::restoreSession's result) the
        recovered one: old id, pid, data and rooms (joined now), missed packets kept for onConnect. */
    static Socket *create(Namespace *nsp, ServerClient *client, const EngineRequest &request,
                          const QCborMap &auth, const QCborMap &session = QCborMap());
    /*! The handshake, built now if it was not yet. */
    const Handshake &ensureHandshake() const;

    /*! CONNECT accepted: join own room, write the missed packets (recovery), send the CONNECT reply. */
    void onConnect();
    /*! The socket will not connect (middleware refusal, connection gone): it leaves every room
        (re-joined on recovery or joined by a middleware) and fails the acks it waits for; a
        recovered socket's session is given back to the adapter as it was
        restored (Adapter::persistSession() with its "disconnectedAt"). */
    void abandon();
    /*! Connected, or still in its middlewares on an open client: rooms and emits are allowed. */
    bool isUsable() const;
    /*! Stores the session through the adapter (connection state recovery). */
    void persistSession();
    /*! Whether the server has connection state recovery on. */
    bool recoveryEnabled() const;
    void onPacket(Protocol::Packet &&packet);
    void onEvent(Protocol::Packet &&packet);
    void onAck(const Protocol::Packet &packet);
    void onError(const QString &message, const QCborValue &data = QCborValue());
    /*! Leaves the namespace with \a reason (no packet sent). Idempotent. */
    void onClose(DisconnectReason reason, const QString &description = QString());
    void runMiddlewares(const Message &message, int index, const std::function<void(bool, const MiddlewareError &)> &done);
    void dispatch(const Message &message);
    /*! dispatch() from the next event-loop pass if still connected then (ServerPrivate::deferDispatch). */
    void dispatchLater(const Message &message);

    /*! Encodes and writes \a packet (nsp set here) to the client; \a compress is the Engine.IO
        compress flag (false for Socket::NoCompress). */
    bool sendPacket(Protocol::Packet packet, bool isVolatile, bool compress = true);
    /*! Writes an already encoded packet (broadcasts), with the broadcast's compress flag. */
    bool writeEncoded(const EncodedPacket &encoded, bool isVolatile, bool compress = true);
    /*! Writes ACK \a id with \a args; false if the client cannot take it. */
    bool sendAck(qint64 id, const QCborArray &args);
    /*! Emits Socket::eventSent for an outgoing EVENT (\a eventData: name and arguments), which
        may run application code; nothing when nothing is connected to it (hasOutgoingListeners()). */
    void notifyOutgoing(const QCborValue &eventData);
    bool hasOutgoingListeners() const;
    bool emitEvent(const QString &event, const QCborArray &args, Socket::EmitFlags flags);
    AckReply *emitWithAck(const QString &event, const QCborArray &args, std::chrono::milliseconds timeout,
                          Socket::EmitFlags flags);

    Q_DECLARE_PUBLIC(Socket)
};

} // namespace SocketIo
