#pragma once

#include <SocketIo/engineoptions.h>
#include <SocketIo/socketio_export.h>

#include <QHostAddress>
#include <QObject>

#include <memory>

QT_BEGIN_NAMESPACE
class QTcpSocket;
QT_END_NAMESPACE

namespace SocketIo {

class EngineSession;
class EngineServerPrivate;

/*!
  The Engine.IO v4 server: one TCP port serving HTTP long-polling and WebSocket (with the upgrade
  from one to the other) on options().path. Requests for other paths get 404.

  Lives on the thread that owns it; every signal is emitted there. Sessions are children of the
  server and are deleted (deleteLater) after EngineSession::closed.
*/
class SOCKETIO_EXPORT EngineServer : public QObject
{
    Q_OBJECT
public:
    explicit EngineServer(QObject *parent = nullptr);
    ~EngineServer() override;

    void setOptions(const EngineOptions &options);
    EngineOptions options() const;

    /*! Listens on \a address (default: dual-stack any address, so "localhost" works whether it
        resolves to ::1 or 127.0.0.1). Port 0 picks a free port, see serverPort(). */
    bool listen(const QHostAddress &address = QHostAddress::Any, quint16 port = 0);
    bool isListening() const;
    quint16 serverPort() const;
    QString errorString() const;

    /*! Serves an already accepted connection (e.g. from another QTcpServer or a worker thread).
        The server takes ownership of \a socket. Such a socket is written through its own
        buffer; the connections listen() accepts write straight to the kernel while the peer
        keeps up (no 32 KiB write buffer kept per connection), and only their WebSocket
        handshake responses get the headers of EngineOptions::initialHeaders / responseHeaders. */
    void handleConnection(QTcpSocket *socket);

    /*! Stops listening and closes every session at once, as engine.io's close() does (each
        socket closed with discard): packets still queued are dropped, a parked polling GET
        receives the close packet, a WebSocket gets a close frame, a polling session without a
        parked GET ends now (its next request gets "Session ID unknown"); each session ends
        with reason "forced close". Connections already open stay open for those answers. */
    void close();

    int clientsCount() const;
    QList<EngineSession *> sessions() const;
    EngineSession *session(const QString &sid) const;

Q_SIGNALS:
    /*! A new session completed its handshake (the open packet is queued). */
    void connection(SocketIo::EngineSession *session);
    /*! A request was refused with \a code; \a message is what the client was told. */
    void connectionError(SocketIo::EngineError code, const QString &message,
                         const SocketIo::EngineRequest &request);

private:
    friend class EngineServerPrivate;
    std::unique_ptr<EngineServerPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(EngineServer)
    Q_DISABLE_COPY(EngineServer)
};

} // namespace SocketIo
