// Linked into the integration, interop and workers tests. With SOCKETIO_TEST_EVENT_DISPATCHER=epoll
// in the environment (the ctest entries named <test>_epoll) the test's main thread runs on
// SocketIo::EpollEventDispatcher instead of Qt's default dispatcher, so the same tests cover the
// library on both. Installed before main(), since a dispatcher must exist before the application.
#include <SocketIo/epolleventdispatcher.h>

#include <QAbstractEventDispatcher>
#include <QCoreApplication>

#ifdef SOCKETIO_HAVE_EPOLL_EVENT_DISPATCHER

namespace {

bool wantsEpoll()
{
    const QByteArray name = qgetenv("SOCKETIO_TEST_EVENT_DISPATCHER");
    if (name.isEmpty())
        return false;
    if (name != "epoll")
        qFatal("SOCKETIO_TEST_EVENT_DISPATCHER=%s: unknown (the one choice is epoll)", name.constData());
    return true;
}

const bool installed = [] {
    if (!wantsEpoll())
        return false;
    QCoreApplication::setEventDispatcher(new SocketIo::EpollEventDispatcher);
    return true;
}();

// The variant must not pass on Qt's dispatcher by accident.
void checkInstalled()
{
    if (installed && !qobject_cast<SocketIo::EpollEventDispatcher *>(QAbstractEventDispatcher::instance()))
        qFatal("SOCKETIO_TEST_EVENT_DISPATCHER=epoll, but the application runs on %s",
               QAbstractEventDispatcher::instance() ? QAbstractEventDispatcher::instance()->metaObject()->className()
                                                    : "no dispatcher");
}
Q_COREAPP_STARTUP_FUNCTION(checkInstalled)

} // namespace

#endif
