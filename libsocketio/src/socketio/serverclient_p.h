// One per Engine.IO session: socket.io's Client. Decodes packets, routes them to the socket of
// their namespace, handles CONNECT and closes the connection on protocol violations.
#pragma once

#include <SocketIo/adapter.h>
#include <SocketIo/disconnectreason.h>
#include <SocketIo/enginesession.h>

#include "protocol/socketiopacket.h"

#include <QCborMap>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>

namespace SocketIo {

class Server;
class Socket;

class ServerClient : public QObject
{
    Q_OBJECT
public:
    ServerClient(Server *server, EngineSession *session);
    ~ServerClient() override;

    EngineSession *session() const { return m_session; }
    Server *server() const { return m_server; }
    bool isOpen() const;

    /*! Writes \a packet (encoded here). */
    bool writePacket(const Protocol::Packet &packet, bool isVolatile = false);
    /*! Writes an already encoded packet. Volatile packets are dropped when the transport cannot
        take them now. */
    bool writeEncoded(const EncodedPacket &encoded, bool isVolatile = false);

    /*! socket.io Client.close(): closes the Engine.IO session; if it does not close at once, the
        sockets leave with "forced server close". */
    void close();
    /*! socket.io Client._disconnect(): every socket sends DISCONNECT, then close(). */
    void disconnectAll();
    /*! A socket left its namespace. */
    void removeSocket(Socket *socket);
    /*! connectTimeout elapsed (ServerPrivate's connect timer): closes the connection if it never
        joined a namespace. */
    void onConnectTimeout();

private:
    /*! True (logged) once the connection is closed or closing: incoming messages are dropped. */
    bool ignoresInput() const;
    void onText(const QByteArray &utf8);
    void onBinary(const QByteArray &bytes);
    void onDecoded(Protocol::Packet &&packet);
    void onDecodeError(const QString &error);
    void onClosed(const QString &reason, const QString &description);
    void onClose(DisconnectReason reason, const QString &description);
    void connectNamespace(const QString &name, const QCborMap &auth);
    void doConnect(Namespace *nsp, const QCborMap &auth);
    void refuseConnect(const QString &nsp, const QString &message, const QCborValue &data = QCborValue());

    QPointer<Server> m_server;
    QPointer<EngineSession> m_session;
    Protocol::Decoder m_decoder;
    QHash<QString, QPointer<Socket>> m_nsps;     // connected namespace → socket
    QSet<QString> m_connecting;                  // CONNECT being processed (matchers, middlewares)
    bool m_joined = false;    // a namespace was joined: connectTimeout no longer applies
    bool m_closed = false;
    bool m_closing = false;   // a close was asked for (decode error, violation); m_closed may lag
};

} // namespace SocketIo
