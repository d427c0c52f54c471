#pragma once

#include <SocketIo/socketio_export.h>

#include <QCborArray>
#include <QCborValue>
#include <QJsonArray>
#include <QMetaType>
#include <QString>
#include <QVariantList>

#include <functional>
#include <initializer_list>
#include <memory>

namespace SocketIo {

class Socket;
class ClientSocket;
class MessagePrivate;
class NextPrivate;

/*!
  One event received from a peer (a client, on the server's Socket; the server, on a client's
  ClientSocket): its name, its arguments (JSON values and byte strings) and, when the peer asked
  for one, the acknowledgement.

  Implicitly shared: copies refer to the same acknowledgement state, so ack() sends at most one
  ACK packet however many copies call it, and it may be called later, after the handler returned
  (asynchronously). An ack for a socket that has disconnected meanwhile is dropped.
*/
class SOCKETIO_EXPORT Message
{
public:
    /*! An invalid message (no event). */
    Message();
    ~Message();
    Message(const Message &other);
    Message &operator=(const Message &other);

    /*! False for a default-constructed Message. */
    bool isValid() const;
    /*! The event name (a numeric name sent by a JS peer is given in its decimal form). */
    QString event() const;
    /*! The arguments after the event name. */
    QCborArray args() const;
    /*! True if the peer expects an acknowledgement (the packet carried an ack id). */
    bool needsAck() const;
    /*! The packet's ack id, -1 when none. */
    qint64 ackId() const;
    /*! True once ack() has sent the acknowledgement. */
    bool isAcknowledged() const;
    /*! The server-side socket the event arrived on (null once it is deleted, and for events
        received by a client). */
    SocketIo::Socket *socket() const;
    /*! The client socket the event arrived on (null once it is deleted, and for events received
        by a server). */
    SocketIo::ClientSocket *clientSocket() const;

    /*! Sends the acknowledgement with \a args (BINARY_ACK if they contain byte strings). Returns
        false, and sends nothing, if no ack was requested, it was already sent, the socket is
        gone, or \a args carry more than 10 binary values (a JavaScript peer would close the
        connection); after that last refusal ack() may be called again with fewer. */
    bool ack(const QCborArray &args = QCborArray()) const;
    /*! \overload for braced lists, e.g. ack({1, u"two"_s}). */
    bool ack(std::initializer_list<QCborValue> args) const;
    /*! \overload */
    bool ack(const QJsonArray &args) const;
    /*! \overload */
    bool ack(const QVariantList &args) const;

private:
    friend class MessagePrivate;
    std::shared_ptr<MessagePrivate> d;
};

/*!
  The error a middleware passes to Next: becomes CONNECT_ERROR {"message":message,"data":data}
  for connection middlewares (data omitted when undefined), or the socket's errorOccurred() for
  packet middlewares.
*/
struct SOCKETIO_EXPORT MiddlewareError
{
    QString message;
    /*! Undefined: not sent. CONNECT_ERROR is plain JSON: byte arrays in it are written as null
        (with a warning); send binary data base64-encoded. */
    QCborValue data;
};

/*!
  The continuation handed to a middleware. Call it exactly once, now or later from the event loop:
  next() lets the connection (or packet) through, next(message, data) refuses it. Copies share
  state; calls after the first are ignored with a warning.
*/
class SOCKETIO_EXPORT Next
{
public:
    /*! Builds a continuation that runs \a callback once: with an empty error on success. For
        adapters and tests; middlewares only receive it. */
    explicit Next(std::function<void(bool ok, const SocketIo::MiddlewareError &error)> callback);
    ~Next();
    Next(const Next &other);
    Next &operator=(const Next &other);

    /*! Continue: the connection or packet goes on to the next middleware. */
    void operator()() const;
    /*! Refuse with \a message and optional \a data. */
    void operator()(const QString &message, const QCborValue &data = QCborValue()) const;
    /*! Refuse with \a error. */
    void operator()(const SocketIo::MiddlewareError &error) const;
    /*! True once it has been called. */
    bool isCalled() const;

private:
    std::shared_ptr<NextPrivate> d;
};

/*! A connection middleware (io.use / nsp.use): runs for each new socket before it joins. */
using Middleware = std::function<void(SocketIo::Socket *socket, const SocketIo::Next &next)>;
/*! A packet middleware (socket.use): runs for each incoming event before it is dispatched. */
using PacketMiddleware = std::function<void(const SocketIo::Message &message, const SocketIo::Next &next)>;
/*! A per-event handler (socket.on(event, handler)). */
using EventHandler = std::function<void(const SocketIo::Message &message)>;

} // namespace SocketIo

Q_DECLARE_METATYPE(SocketIo::Message)
