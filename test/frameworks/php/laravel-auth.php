<?php
/*
 * The `laravel-authenticate` command of sessions.php: a request of a Laravel 8.83 application through Debian's
 * real Illuminate classes (php-illuminate-auth, -session, -database, -http): the session Store over the
 * DatabaseSessionHandler, the AuthManager with its SessionGuard and EloquentUserProvider (App\Models\User, the
 * model Laravel's skeleton ships: Eloquent's Authenticatable trait on the `users` table), and the
 * AuthenticateSession middleware (`auth.session`). What is not Laravel's here is only what a full application
 * would bring and the request never uses: the config array, a cookie jar (no remember cookie is sent) and a
 * hasher (no password is checked), and an event dispatcher that records what the guard fires.
 */

namespace {
    foreach (['Support', 'Contracts', 'Collections', 'Macroable', 'Container', 'Database', 'Session', 'Http', 'Auth'] as $component) {
        require_once "/usr/share/php/Illuminate/$component/autoload.php";
    }
}

namespace App\Models {
    use Illuminate\Auth\Authenticatable;
    use Illuminate\Contracts\Auth\Authenticatable as AuthenticatableContract;
    use Illuminate\Database\Eloquent\Model;

    /** Laravel 8's App\Models\User as far as authentication goes (Illuminate\Foundation\Auth\User is this). */
    class User extends Model implements AuthenticatableContract
    {
        use Authenticatable;

        protected $table = 'users';
        protected $hidden = ['password', 'remember_token'];
    }
}

namespace SessionGraphTest\Laravel {
    use Illuminate\Contracts\Cookie\QueueingFactory;
    use Illuminate\Contracts\Events\Dispatcher;
    use Illuminate\Contracts\Hashing\Hasher;

    /** The events the guard fires, by class (Authenticated, CurrentDeviceLogout, ...). */
    final class RecordingDispatcher implements Dispatcher
    {
        public array $fired = [];
        public function listen($events, $listener = null) {}
        public function hasListeners($eventName) { return false; }
        public function subscribe($subscriber) {}
        public function until($event, $payload = []) { return $this->dispatch($event, $payload, true); }
        public function dispatch($event, $payload = [], $halt = false)
        {
            $this->fired[] = is_object($event) ? (new \ReflectionClass($event))->getShortName() : $event;
            return $halt ? null : [];
        }
        public function push($event, $payload = []) {}
        public function flush($event) {}
        public function forget($event) {}
        public function forgetPushed() {}
    }

    /** No remember-me cookie is sent, so the guard never touches its cookie jar. */
    final class UnusedCookieJar implements QueueingFactory
    {
        public function make($name, $value, $minutes = 0, $path = null, $domain = null, $secure = null, $httpOnly = true, $raw = false, $sameSite = null) { throw new \LogicException('no cookies here'); }
        public function forever($name, $value, $path = null, $domain = null, $secure = null, $httpOnly = true, $raw = false, $sameSite = null) { throw new \LogicException('no cookies here'); }
        public function forget($name, $path = null, $domain = null) { throw new \LogicException('no cookies here'); }
        public function queue(...$parameters) { throw new \LogicException('no cookies here'); }
        public function unqueue($name, $path = null) {}
        public function getQueuedCookies() { return []; }
    }

    /** No password is checked: retrieveById never hashes. */
    final class UnusedHasher implements Hasher
    {
        public function info($hashedValue) { return []; }
        public function make($value, array $options = []) { throw new \LogicException('no hashing here'); }
        public function check($value, $hashedValue, array $options = []) { throw new \LogicException('no hashing here'); }
        public function needsRehash($hashedValue, array $options = []) { return false; }
    }
}

namespace {
    use App\Models\User;
    use Illuminate\Auth\AuthenticationException;
    use Illuminate\Auth\AuthManager;
    use Illuminate\Container\Container;
    use Illuminate\Contracts\Auth\Guard;
    use Illuminate\Database\Capsule\Manager as Capsule;
    use Illuminate\Http\Request;
    use Illuminate\Session\DatabaseSessionHandler;
    use Illuminate\Session\Middleware\AuthenticateSession;
    use Illuminate\Session\Store;
    use SessionGraphTest\Laravel\RecordingDispatcher;
    use SessionGraphTest\Laravel\UnusedCookieJar;
    use SessionGraphTest\Laravel\UnusedHasher;

    /**
     * laravel-authenticate {"ids": [...], "table"?: "sessions", "save"?: bool}
     *   -> {"results": {id: {"reached", "user", "loggedOut", "events", "attributes"}}}
     * One GET request per id presenting that session, through AuthenticateSession: "reached" the route (the
     * middleware let it through), "user" the id of the request's user there (null: nobody), "loggedOut" when the middleware threw
     * AuthenticationException after logoutCurrentDevice() and flush(), "events" what the guard fired,
     * "attributes" the session afterwards. With "save", the session is saved as StartSession saves it once the
     * exception handler has rendered the response (so a logged-out session is stored flushed).
     */
    function laravel_authenticate(array $request): array
    {
        $url = parse_url(getenv('DATABASE_URL'));
        $capsule = new Capsule();
        $capsule->addConnection(['driver' => 'pgsql', 'host' => $url['host'], 'port' => $url['port'] ?? 5432,
            'database' => ltrim($url['path'], '/'), 'username' => $url['user'] ?? 'postgres',
            'password' => $url['pass'] ?? '', 'charset' => 'utf8', 'prefix' => '', 'schema' => 'public']);
        $capsule->setAsGlobal();
        $capsule->bootEloquent();
        $table = table($request, 'sessions');
        $results = [];
        foreach ($request['ids'] as $id) {
            $app = new Container();
            $handler = new DatabaseSessionHandler($capsule->getConnection(), $table, 120, $app);
            $session = new Store('laravel_session', $handler, $id);
            $session->start(); // StartSession::startSession
            $http = Request::create('http://localhost/home', 'GET', [], [], [], ['REMOTE_ADDR' => '127.0.0.1']);
            $http->setLaravelSession($session);
            $events = new RecordingDispatcher();
            $app->instance('config', [
                'auth.defaults.guard' => 'web',
                'auth.defaults.provider' => 'users',
                'auth.guards.web' => ['driver' => 'session', 'provider' => 'users'],
                'auth.providers.users' => ['driver' => 'eloquent', 'model' => User::class],
            ]);
            $app->instance('session.store', $session);
            $app->instance('cookie', new UnusedCookieJar());
            $app->instance('events', $events);
            $app->instance('hash', new UnusedHasher());
            $app->instance('request', $http);
            $auth = new AuthManager($app);
            // AuthServiceProvider: the request's user() is the guard's; Guard is what the handler asks the user id of.
            $http->setUserResolver(fn ($guard = null) => $auth->guard($guard)->user());
            $app->bind(Guard::class, fn () => $auth->guard());
            $out = ['reached' => false, 'user' => null, 'loggedOut' => false];
            try {
                (new AuthenticateSession($auth))->handle($http, function ($request) use ($auth, &$out) {
                    $out['reached'] = true;
                    $user = $request->user(); // not id(), which falls back to the session's id
                    $out['user'] = $user ? $user->getAuthIdentifier() : null;
                    return 'ok';
                });
            } catch (AuthenticationException $e) {
                $out['loggedOut'] = true;
            }
            $out['events'] = $events->fired;
            if (!empty($request['save'])) {
                $session->save();
            }
            $out['attributes'] = view($session->all());
            $results[$id] = $out;
        }
        return ['results' => (object) $results];
    }
}
