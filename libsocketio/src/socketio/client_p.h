#pragma once

#include <SocketIo/client.h>

#include "backoff_p.h"
#include "protocol/socketiopacket.h"

#include <QHash>
#include <QList>
#include <QPointer>
#include <QTimer>

namespace SocketIo {

class ClientPrivate
{
public:
    explicit ClientPrivate(Client *q);

    static ClientPrivate *get(Client *client) { return client->d_func(); }

    /*! socket.io-client's Manager.open(): a new engine, unless opening or open. */
    void openEngine(bool reconnectAttempt);
    void setState(Client::State state);
    void onEngineOpened(EngineClient *engine);
    void onEngineError(EngineClient *engine, const QString &message);
    void onEngineClosed(EngineClient *engine, const QString &reason, const QString &description);
    void onText(EngineClient *engine, const QByteArray &utf8);
    void onBinary(EngineClient *engine, const QByteArray &bytes);
    /*! What onText/onBinary do with the decoder's answer: dispatch a complete packet, or close
        with "parse error" (\a what names the message kind in the log line). */
    void onDecoderResult(Protocol::Decoder::Result result, const char *what);
    void onConnectTimeout();
    /*! A handshake failed (refused, HTTP error, timeout): Manager's onError in open(). */
    void onOpenError(const ConnectErrorDetails &details);
    /*! The session ended: Manager.onclose(). */
    void onClose(DisconnectReason reason, const QString &description);
    /*! Manager._close(): on purpose, no reconnection; onClose(ForcedClose) even without an engine. */
    void closeOnPurpose();
    void reconnect();
    /*! Takes \a newOptions (zero reconnection values made the defaults) and updates the backoff. */
    void setOptions(const ClientOptions &newOptions);
    void onReconnectTimer();
    /*! Stops listening to the engine, closes it and lets it delete itself once closed. */
    void detachEngine();
    /*! A decoded packet from the server. */
    void dispatch(const Protocol::Packet &packet);
    /*! Manager._destroy(): closes the engine when no socket is active any more. */
    void onSocketDeactivated();

    /*! Encodes and writes \a packet; false if there is no open engine. */
    bool sendPacket(const Protocol::Packet &packet);
    bool isOpen() const { return state == Client::State::Open && engine; }
    bool isWritable() const;

    Client *q_ptr;
    QUrl url;
    ClientOptions options;
    QPointer<EngineClient> engine;
    Client::State state = Client::State::Closed;
    Internal::Backoff backoff;
    Protocol::Decoder decoder;
    QList<ClientSocket *> sockets;
    QTimer reconnectTimer;
    QTimer connectTimer;
    bool reconnecting = false;      // a reconnection is scheduled or in progress
    bool attemptIsReconnect = false;
    bool skipReconnect = false;
    bool autoOpenPending = false;
    bool destroying = false;
    bool sawOpenError = false;
    /*! rememberUpgrade: the last engine ended up on WebSocket (carried to the next engine). */
    bool priorWebsocketSuccess = false;
    ConnectErrorDetails lastError;

    Q_DECLARE_PUBLIC(Client)
};

} // namespace SocketIo
