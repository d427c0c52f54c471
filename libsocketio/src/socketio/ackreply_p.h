#pragma once

#include <SocketIo/ackreply.h>

#include <QTimer>

#include <chrono>
#include <functional>

namespace SocketIo {

class AckReplyPrivate
{
public:
    AckReply *q_ptr = nullptr;
    bool finished = false;
    bool autoDelete = true;
    AckReply::Error error = AckReply::Error::NoError;
    QCborArray args;
    QCborArray responses;
    QTimer *timer = nullptr;
    /*! Runs when the reply finishes or is destroyed unfinished: lets the emitter forget the ack id. */
    std::function<void()> cleanup;

    /*! A new unfinished reply (no parent). */
    static AckReply *create();
    static AckReplyPrivate *get(AckReply *reply) { return reply->d_func(); }
    /*! Starts the timeout; on expiry the reply finishes with Error::Timeout (keeping responses). */
    void startTimer(std::chrono::milliseconds timeout);
    /*! Finishes now (emits finished()) unless already finished. */
    void finish(AckReply::Error error, const QCborArray &args = QCborArray());
    /*! Finishes from the event loop (for results known inside the creating call). */
    void finishLater(AckReply::Error error, const QCborArray &args = QCborArray());

    Q_DECLARE_PUBLIC(AckReply)
};

} // namespace SocketIo
