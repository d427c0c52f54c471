#pragma once

#include <SocketIo/ackreply.h>
#include <SocketIo/clientsocket.h>

#include "protocol/socketiopacket.h"

#include <QHash>
#include <QList>
#include <QPointer>

namespace SocketIo {

class ClientPrivate;

class ClientSocketPrivate
{
public:
    static ClientSocketPrivate *get(ClientSocket *socket) { return socket->d_func(); }
    static ClientSocket *create(Client *client, const QString &nsp, const ClientSocketOptions &options);

    // Manager events (socket.io-client's subEvents: only while active)
    void onEngineOpen();
    void onEngineError(const ConnectErrorDetails &details);
    /*! Records \a details as lastConnectError, then emits connectError(). */
    void emitConnectError(const ConnectErrorDetails &details);
    void onEngineClose(DisconnectReason reason, const QString &description);
    void onPacket(const Protocol::Packet &packet);

    void sendConnect(const QCborMap &auth);
    void onConnect(const QString &sid, const QString &pid);
    void onEvent(const Protocol::Packet &packet);
    void onAck(const Protocol::Packet &packet);
    void onServerDisconnect();
    void onConnectError(const QCborValue &data);
    /*! Deactivates (socket.io-client's destroy()); the Manager may close the engine. */
    void destroy();
    void setActive(bool active);
    /*! connected → false, disconnected() (when it was connected, or \a evenIfNotConnected: the
        engine closed under a socket waiting for its CONNECT reply), pending acks rejected. */
    void onClose(DisconnectReason reason, const QString &description, bool evenIfNotConnected = false);
    void clearAcks();
    void dispatch(const Message &message);

    struct Outgoing {
        Protocol::Packet packet;
        QString event;
        QCborArray args;
    };
    /*! socket.io-client's emit() after the checks: registers the ack (if \a reply), then sends,
        buffers or drops. False if dropped. */
    bool emitPacket(const QString &event, const QCborArray &args, ClientSocket::EmitFlags flags,
                    AckReply *reply, std::optional<std::chrono::milliseconds> timeout);
    void send(const Outgoing &out);
    bool sendAck(qint64 id, const QCborArray &args);

    // retries: at-least-once queue
    struct Queued {
        quint64 seq = 0;
        int tryCount = 0;
        bool pending = false;
        QString event;
        QCborArray args;
        ClientSocket::EmitFlags flags;
        std::optional<std::chrono::milliseconds> timeout;   // per try (socket.io-client keeps the
                                                            // emit's flags with the queued packet)
        QPointer<AckReply> reply;   // the application's reply (emitWithAck), or null
    };
    void addToQueue(const QString &event, const QCborArray &args, ClientSocket::EmitFlags flags, AckReply *reply,
                    std::optional<std::chrono::milliseconds> timeout);
    void drainQueue(bool force);

    ClientSocket *q_ptr = nullptr;
    Client *client = nullptr;
    QString nsp;
    ClientSocketOptions options;
    QString id;
    QString pid;
    QString lastOffset;
    ConnectErrorDetails lastConnectError;
    bool connected = false;
    bool active = false;
    bool recovered = false;
    bool autoOpenPending = false;
    bool connectInFlight = false;   // CONNECT sent (or auth pending), no reply yet
    quint64 connectGeneration = 0;  // ignores auth callbacks of an earlier session
    qint64 ids = 0;
    QHash<qint64, QPointer<AckReply>> acks;
    QList<Outgoing> sendBuffer;
    QList<Message> receiveBuffer;
    QList<Queued> queue;
    quint64 queueSeq = 0;

    struct Handler {
        QPointer<const QObject> context;
        EventHandler handler;
    };
    QHash<QString, QList<Handler>> handlers;

    Q_DECLARE_PUBLIC(ClientSocket)
};

} // namespace SocketIo
