#pragma once

#include <SocketIo/socketio_export.h>

#include <QAbstractEventDispatcher>

#include <memory>

#if defined(__linux__)
/*! Defined to 1 where SocketIo::EpollEventDispatcher exists (Linux). */
#  define SOCKETIO_HAVE_EPOLL_EVENT_DISPATCHER 1

namespace SocketIo {

class EpollEventDispatcherPrivate;

/*!
  An event dispatcher for server threads on Linux, built on epoll(7): the cost of one event-loop
  pass follows the number of descriptors that are ready, not the number that are open.

  Qt's own dispatchers (the GLib one and the UNIX one selected by QT_NO_GLIB=1) hand every open
  socket to poll(2) on every pass, so with thousands of connections an idle server spends its time
  scanning sockets that have nothing to say, and every new connection makes every later pass dearer.
  This dispatcher keeps the sockets registered with the kernel and asks only for the ready ones; its
  timers are kept in deadline order (all timer types fire with millisecond precision, never early).

  It is an ordinary QAbstractEventDispatcher: install it before the thread's event loop exists, and
  everything else (QObject timers, QSocketNotifier, posted events, deleteLater, queued signals from
  other threads, nested event loops) works as with Qt's dispatchers. It owns no thread.

  \code
  int main(int argc, char *argv[])
  {
  #ifdef SOCKETIO_HAVE_EPOLL_EVENT_DISPATCHER
      QCoreApplication::setEventDispatcher(new SocketIo::EpollEventDispatcher);   // before the app
  #endif
      QCoreApplication app(argc, argv);
      ...
  }
  // or for a worker: thread->setEventDispatcher(new SocketIo::EpollEventDispatcher) before start()
  \endcode

  For QCoreApplication processes (servers). A QGuiApplication needs its platform's dispatcher,
  which also reads the window system's events: do not install this one there.

  Descriptors epoll cannot watch (regular files) are reported ready on every pass, as poll(2)
  reports them. QSocketNotifier::Exception is reported for urgent data (EPOLLPRI) and errors.
*/
class SOCKETIO_EXPORT EpollEventDispatcher : public QAbstractEventDispatcher
{
    Q_OBJECT
public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    /*! Thread-safe: makes a waiting processEvents() return. */
    void wakeUp() override;
    /*! Thread-safe: makes the current or next processEvents() return without waiting. */
    void interrupt() override;

private:
    std::unique_ptr<EpollEventDispatcherPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(EpollEventDispatcher)
    Q_DISABLE_COPY_MOVE(EpollEventDispatcher)
};

} // namespace SocketIo

#endif // __linux__
