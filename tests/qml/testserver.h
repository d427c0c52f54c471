// The in-process Socket.IO server the QML tests talk to (exposed to QML as "testServer").
#pragma once

#include <QHash>
#include <QObject>
#include <QString>

#include <memory>

namespace SocketIo {
class Server;
class Socket;
} // namespace SocketIo

/*!
  A SocketIo::Server on a free loopback port with the handlers the QML tests use. On "/":
  "message" is echoed back as "message-back"; "message-with-ack" is acknowledged with its own
  arguments; "record" stores its arguments (lastArgs, CBOR diagnostic notation) and acks with no
  arguments; "binary" stores the first argument (lastBinaryHex) and is echoed as "binary-back";
  "ask-mixed" is answered with "mixed" (nested JSON with binaries); "kick" makes the server
  disconnect the socket. "/private" refuses every connection with message "not authorized" and
  data {code: 42}; any other namespace is unknown ("Invalid namespace").

  Clients identify themselves with auth {tag: "..."}; connections and disconnect reasons are
  counted per tag.
*/
class TestServer : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString url READ url CONSTANT)
    Q_PROPERTY(QString lastArgs READ lastArgs NOTIFY recorded)
    Q_PROPERTY(QString lastBinaryHex READ lastBinaryHex NOTIFY recorded)
public:
    explicit TestServer(QObject *parent = nullptr);
    ~TestServer() override;

    /*! True once listening. */
    bool isListening() const;
    /*! "http://127.0.0.1:<port>". */
    QString url() const;
    QString lastArgs() const;
    QString lastBinaryHex() const;

    /*! How many sockets with auth.tag == \a tag have connected to "/". */
    Q_INVOKABLE int connections(const QString &tag) const;
    /*! socket.io's reason string of the last disconnect of a socket tagged \a tag; empty if none. */
    Q_INVOKABLE QString disconnectReason(const QString &tag) const;

Q_SIGNALS:
    /*! lastArgs or lastBinaryHex changed. */
    void recorded();

private:
    void onConnection(SocketIo::Socket *socket);

    std::unique_ptr<SocketIo::Server> m_server;
    QHash<QString, int> m_connections;
    QHash<QString, QString> m_disconnectReasons;
    QString m_lastArgs;
    QString m_lastBinaryHex;

    Q_DISABLE_COPY(TestServer)
};
