// One per Engine.IO session: socket.io's Client. Decodes packets, routes them to the socket of
// their namespace, handles CONNECT and closes the connection on protocol violations.
#pragma once

#include <SocketIo/adapter.h>
#include <SocketIo/disconnectreason.h>
#include <SocketIo/enginesession.h>

#include "engineio/enginesession_p.h"
#include "protocol/socketiopacket.h"

#include <QCborMap>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QVarLengthArray>

#include <utility>

namespace SocketIo {

class Server;
class Socket;

class ServerClient : public QObject, private EngineSessionReceiver
{
    Q_OBJECT
public:
    ServerClient(Server *server, EngineSession *session);
    ~ServerClient() override;

    EngineSession *session() const { return m_session; }
    Server *server() const { return m_server; }
    bool isOpen() const;

    /*! Writes \a packet (encoded here). \a compress is the Engine.IO compress flag of every
        message of the packet (socket.io's flags.compress; false: the message does not ask for
        HTTP compression of the polling response, EngineSession::NoCompress). */
    bool writePacket(const Protocol::Packet &packet, bool isVolatile = false, bool compress = true);
    /*! Writes an already encoded packet. Volatile packets are dropped when the transport cannot
        take them now. The session sends \a encoded's engineMessage (Adapter::encode(), once per
        broadcast) unchanged; without one it frames the text itself (EngineSession::sendText()).
        \a compress as for writePacket(). */
    bool writeEncoded(const EncodedPacket &encoded, bool isVolatile = false, bool compress = true);
    /*! Writes a packet our encoder produced (valid UTF-8): framed once, sent unchanged. */
    bool writeEncoded(const Protocol::EncodedPacket &encoded, bool isVolatile = false,
                      bool compress = true);

    /*! Writes an Engine.IO message our encoder framed already ("4" + packet text, valid UTF-8),
        sent unchanged; \a compress as for writePacket(). */
    bool writeFramed(const QByteArray &message, bool compress = true);

    /*! socket.io Client.close(): closes the Engine.IO session; if it does not close at once, the
        sockets leave with "forced server close". */
    void close();
    /*! socket.io Client._disconnect(): every socket sends DISCONNECT, then close(). */
    void disconnectAll();
    /*! The outcome of a CONNECT doConnect() handed to the namespace: \a socket joined \a nsp, or
        nullptr when a middleware refused it (not called when the connection closed meanwhile). */
    void onNamespaceConnected(const QString &nsp, Socket *socket);
    /*! A socket left its namespace. */
    void removeSocket(Socket *socket);
    /*! connectTimeout elapsed (ServerPrivate's connect timer): closes the connection if it never
        joined a namespace. */
    void onConnectTimeout();

private:
    /*! True (logged) once the connection is closed or closing: incoming messages are dropped. */
    bool ignoresInput() const;
    // EngineSessionReceiver: the session's messages and close (no signal connections)
    void sessionText(const QByteArray &utf8) override { onText(utf8); }
    void sessionBinary(const QByteArray &bytes) override { onBinary(bytes); }
    void sessionClosed(const QString &reason, const QString &description) override { onClosed(reason, description); }
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
    /*! The connected namespaces (name → socket), in join order. Almost always one or two: a flat
        array with room for one inline (a QHash allocated a 128-bucket span, ~2 KB per connection). */
    QVarLengthArray<std::pair<QString, QPointer<Socket>>, 1> m_nsps;
    QVarLengthArray<QString, 1> m_connecting;    // CONNECT being processed (matchers, middlewares)
    /*! Namespaces the client left by a DISCONNECT packet in the current read (cleared on the next
        event-loop pass): socket.io handles that packet on a later tick, so what follows it in the
        same payload still finds the socket there and is dropped, not a state error. */
    QStringList m_leftThisPass;

    Socket *socketOf(const QString &nsp) const;
    /*! The sockets of m_nsps, in join order (a copy: leaving changes the table). */
    QList<QPointer<Socket>> sockets() const;
    void removeConnecting(const QString &nsp);
    bool m_joined = false;    // a namespace was joined: connectTimeout no longer applies
    bool m_closed = false;
    bool m_closing = false;   // a close was asked for (decode error, violation); m_closed may lag
};

} // namespace SocketIo
