#pragma once

#include <SocketIo/socketio_export.h>

#include <QCborArray>
#include <QObject>
#include <QString>

#include <memory>

namespace SocketIo {

class AckReplyPrivate;

/*!
  The pending result of an emit with acknowledgement (Socket::emitWithAck,
  BroadcastOperator::emitWithAck, ClientSocket::emitWithAck).

  finished() is emitted exactly once, never synchronously inside the call that created the reply.
  By default the reply deletes itself (deleteLater) right after finished(); read it in a slot
  connected to finished(), or call setAutoDelete(false) and delete it yourself.
*/
class SOCKETIO_EXPORT AckReply : public QObject
{
    Q_OBJECT
public:
    enum class Error {
        NoError,
        Timeout,        // "operation has timed out"
        Disconnected,   // "socket has been disconnected"
        NotSent,        // the emit was refused (reserved name, no connection)
    };
    Q_ENUM(Error)

    ~AckReply() override;

    bool isFinished() const;
    Error error() const;
    /*! socket.io's message for error(): "operation has timed out", "socket has been
        disconnected"; empty for NoError. */
    QString errorString() const;

    /*! Single-peer emits: the arguments the peer acknowledged with. */
    QCborArray args() const;
    /*! Broadcast emits: one element per socket that answered, its first ack argument (socket.io's
        `responses` array), in arrival order; on timeout whatever arrived. */
    QCborArray responses() const;

    bool autoDelete() const;
    void setAutoDelete(bool autoDelete);

Q_SIGNALS:
    /*! The acknowledgement arrived, or the emit failed (see error()). Emitted exactly once. */
    void finished();

private:
    friend class AckReplyPrivate;
    explicit AckReply(QObject *parent = nullptr);
    std::unique_ptr<AckReplyPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(AckReply)
    Q_DISABLE_COPY(AckReply)
};

} // namespace SocketIo
