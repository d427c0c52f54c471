#pragma once

#include <SocketIo/adapter.h>
#include <SocketIo/socket.h>

#include "protocol/socketiopacket.h"

#include <QHash>
#include <QList>
#include <QPointer>

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
    struct PendingAck
    {
        Adapter::AckCallback callback;
        std::function<void()> onDisconnect;   // null: forget silently (broadcast acks)
    };

    Socket *q_ptr = nullptr;
    QString id;
    Namespace *nsp = nullptr;
    QPointer<ServerClient> client;
    Handshake handshake;
    QCborValue data;
    bool connected = false;
    QHash<QString, QList<Handler>> handlers;
    QList<PacketMiddleware> middlewares;
    QHash<qint64, PendingAck> acks;

    static SocketPrivate *get(Socket *socket) { return socket->d_func(); }
    static Socket *create(Namespace *nsp, ServerClient *client, const Handshake &handshake);

    /*! CONNECT accepted: join own room, send the CONNECT reply. */
    void onConnect();
    void onPacket(const Protocol::Packet &packet);
    void onEvent(const Protocol::Packet &packet);
    void onAck(const Protocol::Packet &packet);
    void onError(const QString &message, const QCborValue &data = QCborValue());
    /*! Leaves the namespace with \a reason (no packet sent). Idempotent. */
    void onClose(DisconnectReason reason, const QString &description = QString());
    void runMiddlewares(const Message &message, int index, const std::function<void(bool, const MiddlewareError &)> &done);
    void dispatch(const Message &message);

    /*! Encodes and writes \a packet (nsp set here) to the client. */
    bool sendPacket(Protocol::Packet packet, bool isVolatile);
    /*! Writes an already encoded packet (broadcasts). */
    bool writeEncoded(const EncodedPacket &encoded, bool isVolatile);
    void sendAck(qint64 id, const QCborArray &args);
    void notifyOutgoing(const QCborValue &eventData);
    bool emitEvent(const QString &event, const QCborArray &args, Socket::EmitFlags flags);
    AckReply *emitWithAck(const QString &event, const QCborArray &args, std::chrono::milliseconds timeout,
                          Socket::EmitFlags flags);

    Q_DECLARE_PUBLIC(Socket)
};

} // namespace SocketIo
